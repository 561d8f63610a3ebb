using KrautPortal.Features.SshKeys;

namespace KrautPortal.Tests.CloudInit;

public sealed class SshPublicKeyTests
{
    [Fact]
    public void TryParse_AcceptsEd25519RsaAndEcdsa_AndTidiesTheLine()
    {
        foreach (var line in new[] { TestKeys.Ed25519(), TestKeys.Rsa(), TestKeys.EcdsaP256() })
        {
            Assert.True(SshPublicKey.TryParse("  " + line.Replace(" ", "   ", StringComparison.Ordinal) + "\n", out var key, out var problem), problem);
            Assert.Equal(line, key.Line);
            Assert.StartsWith("SHA256:", key.Fingerprint, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Fingerprint_IsWhatSshKeygenPrints()
    {
        // Made with ssh-keygen -t ed25519; "ssh-keygen -lf" printed this fingerprint for it.
        const string key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKJ2HE0Zzz5CTomxIb80+ss2uib9Fn7dWM9Lg3dXQ9kR test@kraut";
        Assert.True(SshPublicKey.TryParse(key, out var parsed, out var problem), problem);
        Assert.Equal("SHA256:ADgtJFElrIRL5glMFzzCTbJBAoaAXdnhO3h+/upv8Sg", parsed.Fingerprint);
        Assert.Equal("test@kraut", parsed.Comment);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "not a supported key type")]
    [InlineData("hello world", "not a supported key type")]
    [InlineData("ssh-ed25519 !!!notbase64", "not valid base64")]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----", "private key")]
    public void TryParse_RefusesWithAClearReason(string text, string reason)
    {
        Assert.False(SshPublicKey.TryParse(text, out _, out var problem));
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_RefusesATypeThatDoesNotMatchTheBlob_AndShortRsa()
    {
        var ed = TestKeys.Ed25519().Split(' ');
        Assert.False(SshPublicKey.TryParse($"ssh-rsa {ed[1]}", out _, out var mismatch));
        Assert.Contains("does not hold a ssh-rsa key", mismatch, StringComparison.Ordinal);

        Assert.False(SshPublicKey.TryParse(TestKeys.Rsa(1024), out _, out var weak));
        Assert.Contains("1024 bits", weak, StringComparison.Ordinal);

        Assert.False(SshPublicKey.TryParse(TestKeys.Ed25519() + "\n" + TestKeys.Ed25519(), out _, out var two));
        Assert.Contains("one key at a time", two, StringComparison.Ordinal);
    }
}
