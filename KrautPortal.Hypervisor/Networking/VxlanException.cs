namespace KrautPortal.Hypervisor;

/// <summary>A VXLAN link could not be made as asked: an <c>ip</c>/<c>bridge</c> command failed or the definition is unusable.</summary>
public sealed class VxlanException : Exception
{
    public VxlanException()
        : this("VXLAN link operation failed")
    {
    }

    public VxlanException(string message)
        : base(message)
    {
    }

    public VxlanException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
