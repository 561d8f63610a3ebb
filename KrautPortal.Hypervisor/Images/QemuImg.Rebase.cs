namespace KrautPortal.Hypervisor;

public static partial class QemuImg
{
    /// <summary>
    /// qemu-img rebase -u -f qcow2 -F &lt;fmt&gt; -b &lt;backing&gt; &lt;overlay&gt;: rewrites only the backing path in the overlay's
    /// header (unsafe mode reads no data, so the backing need not exist here): an overlay copied to another host names
    /// that host's copy of its base image. Both formats forced.
    /// </summary>
    public static async Task RebaseUnsafeAsync(string overlayPath, string backingPath, string backingFormat, CancellationToken ct)
    {
        RequireAbsolute(overlayPath);
        RequireAbsolute(backingPath);
        RequireFormat(backingFormat);
        await RunAsync(["rebase", "-u", "-f", "qcow2", "-F", backingFormat, "-b", backingPath, overlayPath], ct);
    }
}
