using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace KrautPortal.Tests.CloudInit;

/// <summary>Real OpenSSH public key lines made with .NET's crypto (ed25519 from random bytes: only its format matters here).</summary>
public static class TestKeys
{
    public static string Ed25519(string comment = "alice@laptop") =>
        Line("ssh-ed25519", [Str("ssh-ed25519"), Bytes(RandomNumberGenerator.GetBytes(32))], comment);

    public static string Rsa(int bits = 2048, string comment = "bob@desk")
    {
        using var rsa = RSA.Create(bits);
        var p = rsa.ExportParameters(false);
        return Line("ssh-rsa", [Str("ssh-rsa"), Mpint(p.Exponent!), Mpint(p.Modulus!)], comment);
    }

    public static string EcdsaP256(string comment = "carol@ci")
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = ec.ExportParameters(false).Q;
        return Line("ecdsa-sha2-nistp256", [Str("ecdsa-sha2-nistp256"), Str("nistp256"), Bytes([0x04, .. q.X!, .. q.Y!])], comment);
    }

    private static string Line(string type, byte[][] fields, string comment) =>
        $"{type} {Convert.ToBase64String(fields.SelectMany(f => f).ToArray())} {comment}";

    private static byte[] Str(string s) => Bytes(Encoding.ASCII.GetBytes(s));

    private static byte[] Mpint(byte[] unsigned) => Bytes((unsigned[0] & 0x80) != 0 ? [0, .. unsigned] : unsigned);

    private static byte[] Bytes(byte[] data)
    {
        var result = new byte[4 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(result, (uint)data.Length);
        data.CopyTo(result, 4);
        return result;
    }
}
