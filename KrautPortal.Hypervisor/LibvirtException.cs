namespace KrautPortal.Hypervisor;

/// <summary>A libvirt call failed; carries libvirt's error code, error domain and message.</summary>
public sealed class LibvirtException : Exception
{
    // virErrorNumber values from virterror.h that callers branch on.
    public const int ErrInternalError = 1;
    public const int ErrNoSupport = 3;
    public const int ErrInvalidArg = 8;
    public const int ErrXmlError = 27;
    public const int ErrXmlDetail = 35;
    public const int ErrNoDomain = 42;
    public const int ErrNoNetwork = 43;
    public const int ErrOperationInvalid = 55;
    public const int ErrNoDomainSnapshot = 72;
    public const int ErrNoNwFilter = 62;
    public const int ErrArgumentUnsupported = 74;
    public const int ErrNoDomainMetadata = 80;
    public const int ErrOperationUnsupported = 84;

    public LibvirtException()
        : this("libvirt call failed")
    {
    }

    public LibvirtException(string message)
        : base(message)
    {
    }

    public LibvirtException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public LibvirtException(string operation, int code, int errorDomain, string? libvirtMessage)
        : base($"{operation} failed: {libvirtMessage ?? "unknown libvirt error"} (code {code}, domain {errorDomain})")
    {
        Operation = operation;
        Code = code;
        ErrorDomain = errorDomain;
        LibvirtMessage = libvirtMessage;
    }

    /// <summary>The libvirt function that failed, e.g. virDomainCreate.</summary>
    public string? Operation { get; }

    /// <summary>libvirt's virErrorNumber (VIR_ERR_*).</summary>
    public int Code { get; }

    /// <summary>libvirt's virErrorDomain (VIR_FROM_*): which part of libvirt raised the error.</summary>
    public int ErrorDomain { get; }

    /// <summary>libvirt's own message, without the operation prefix.</summary>
    public string? LibvirtMessage { get; }

    public bool IsNoDomain => Code == ErrNoDomain;

    public bool IsNoNetwork => Code == ErrNoNetwork;

    public bool IsNoNwFilter => Code == ErrNoNwFilter;

    public bool IsOperationInvalid => Code == ErrOperationInvalid;

    public bool IsNoDomainMetadata => Code == ErrNoDomainMetadata;

    public bool IsNoDomainSnapshot => Code == ErrNoDomainSnapshot;

    /// <summary>The driver lacks the function or the flags (the test driver often does).</summary>
    public bool IsUnsupported =>
        Code is ErrNoSupport or ErrArgumentUnsupported or ErrOperationUnsupported;
}
