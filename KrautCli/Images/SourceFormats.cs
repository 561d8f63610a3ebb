using System.Text;
using KrautCli.Cli;

namespace KrautCli.Images;

/// <summary>
/// <c>--format</c>: the file's first bytes checked against what the user says it is, before gigabytes go over the wire.
/// The portal detects the format itself (never from the name); this only catches the wrong file early.
/// </summary>
public static class SourceFormats
{
    public static readonly string[] Known = ["qcow2", "raw", "vmdk", "vhdx", "vdi", "iso"];

    public static void Ensure(string file, string format)
    {
        format = format.ToLowerInvariant();
        if (!Known.Contains(format)) throw CliException.Usage($"--format {format}: use one of {string.Join(", ", Known)}.");
        var found = Detect(file);
        // Raw has no signature: any file may be a raw disk, but a file with another format's signature is not.
        if (found != format && !(format == "raw" && found == "raw"))
            throw CliException.Usage($"{file} is {(found == "raw" ? "no known image format (raw?)" : found)}, not {format}.");
    }

    public static string Detect(string file)
    {
        var head = new byte[0x8006];
        int length;
        using (var stream = File.OpenRead(file)) length = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        bool At(int offset, byte[] magic) => length >= offset + magic.Length && head.AsSpan(offset, magic.Length).SequenceEqual(magic);
        if (At(0, [(byte)'Q', (byte)'F', (byte)'I', 0xfb])) return "qcow2";
        if (At(0, "KDMV"u8.ToArray())) return "vmdk";
        if (At(0, "vhdxfile"u8.ToArray())) return "vhdx";
        if (At(64, [0x7f, 0x10, 0xda, 0xbe])) return "vdi";
        if (At(0x8001, Encoding.ASCII.GetBytes("CD001"))) return "iso";
        return "raw";
    }
}
