namespace KrautPortal.Benchmarks.Consoles;

/// <summary>One open serial console of the guest: keystrokes in, the guest's output (timestamped) out.</summary>
public interface IConsoleLink : IAsyncDisposable
{
    /// <summary>"Kraut" or "virsh console", for the log and the report.</summary>
    string Side { get; }

    ConsoleOutput Output { get; }

    /// <summary>Sends keystrokes as typed (raw bytes; Enter is "\r").</summary>
    Task SendAsync(ReadOnlyMemory<byte> keys);
}
