namespace KrautPortal.Hypervisor;

/// <summary>qemu-img failed; carries its exit code and what it wrote to stderr.</summary>
public sealed class QemuImgException : Exception
{
    public QemuImgException()
        : this("qemu-img failed")
    {
    }

    public QemuImgException(string message)
        : base(message)
    {
    }

    public QemuImgException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public QemuImgException(string command, int exitCode, string stderr)
        : base($"{command} exited with {exitCode}: {stderr.Trim()}")
    {
        ExitCode = exitCode;
        StandardError = stderr;
    }

    public int ExitCode { get; }

    public string StandardError { get; } = "";
}
