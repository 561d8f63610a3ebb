namespace KrautPortal.Hypervisor;

/// <summary>qemu-img failed; carries its exit code and what it wrote to stderr, or that a limit stopped it.</summary>
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

    public QemuImgException(string command, int exitCode, string stderr, bool timedOut = false)
        : base(Describe(command, exitCode, stderr, timedOut))
    {
        ExitCode = exitCode;
        StandardError = stderr;
        TimedOut = timedOut;
    }

    public int ExitCode { get; }

    public string StandardError { get; } = "";

    /// <summary>Killed for outliving its wall-clock limit.</summary>
    public bool TimedOut { get; }

    /// <summary>The signal that ended qemu-img (a CPU limit is SIGKILL or SIGXCPU, an abort is SIGABRT), if one did.</summary>
    public int? Signal => !TimedOut && ExitCode > 128 && ExitCode < 128 + 65 ? ExitCode - 128 : null;

    private static string Describe(string command, int exitCode, string stderr, bool timedOut) =>
        timedOut ? $"{command} was killed: it ran past its time limit"
        : exitCode > 128 && exitCode < 128 + 65 ? $"{command} was killed by signal {exitCode - 128}: {stderr.Trim()}"
        : $"{command} exited with {exitCode}: {stderr.Trim()}";
}
