namespace KrautPortal.Features.Consoles;

/// <summary>A VM's serial console as a byte stream both ways (libvirt's console stream); disposing ends it.</summary>
public interface ISerialConnection : IDisposable
{
    /// <summary>Blocks until output arrives; 0 when the console ended (the guest stopped).</summary>
    int Receive(Span<byte> buffer);

    /// <summary>Writes all of <paramref name="data"/> to the guest's serial port.</summary>
    void Send(ReadOnlySpan<byte> data);

    /// <summary>Ends the stream from another thread, so a blocked <see cref="Receive"/> returns or throws; the reader then disposes.</summary>
    void Interrupt();
}

/// <summary>Opens a VM's serial console stream on its host; throws with a sentence when it cannot.</summary>
public interface ISerialConsoleSource
{
    ISerialConnection Open(string hostUri, Guid vmId);
}
