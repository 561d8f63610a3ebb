using KrautPortal.Features.Auth.Htpasswd;
using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Tests.Auth;

/// <summary>Known answers for the hash code Kraut carries itself, and refusals of what it must not accept.</summary>
public sealed class HtpasswdHashTests
{
    // Made with `openssl passwd -apr1 -salt ...` and `openssl passwd -1 -salt ...`: an implementation other than Apache's.
    [Theory]
    [InlineData("password", "$apr1$xxxxxxxx$dxHfLAsjHkDRmG83UXe8K0")]
    [InlineData("a much longer password than sixteen bytes, with spaces", "$apr1$ab$eTbrTPSOolDyAnSpiptQ11")]
    [InlineData("pässwörd", "$apr1$Zr4/k.9Q$NlnVrTwUHYYzRUTFTbpxb.")]
    [InlineData("", "$apr1$p.EjTx01$nTypW3XBRW1vIiC6KLIof0")]
    [InlineData("secret", "$1$saltsalt$9xy1btjgzLYfb7hivXtC//")]
    public void KnownHashes_MatchTheirPassword_AndNothingElse(string password, string stored)
    {
        Assert.Equal(HtpasswdHash.Outcome.Match, HtpasswdHash.Verify(password, stored, out var problem));
        Assert.Null(problem);
        Assert.Equal(HtpasswdHash.Outcome.Mismatch, HtpasswdHash.Verify(password + "x", stored, out _));
    }

    [Theory]
    [InlineData("pw")]
    [InlineData("")]
    [InlineData("$apr1$xxxxxxxx$dxHfLAsjHkDRmG83UXe8K")]
    [InlineData("$apr1$xxxxxxxx$dxHfLAsjHkDRmG83UXe8K0 trailing")]
    [InlineData("$2y$05$tooShort")]
    [InlineData("$2x$05$JPHHtIOhaUKswL6/qpnKDeBILOPo1asbskz2P0g4fwcDfExTUo9EW")]
    [InlineData("{SHA}c2hvcnQ=")]
    [InlineData("$6$salt$short")]
    [InlineData("$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7")]
    [InlineData("_J9..rasmBYk8r9AiWNc")]
    public void UnrecognisedOrDamagedHashes_AreUnusable_NeverAMatch(string stored)
    {
        Assert.Equal(HtpasswdHash.Outcome.Unusable, HtpasswdHash.Verify("pw", stored, out var problem));
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public void APasswordWithANulByte_NeverMatches_EvenWhereCryptWouldStopReadingAtIt()
    {
        var des = LibCryptDes("s3cr3t", "ab");
        Assert.Equal(HtpasswdHash.Outcome.Match, HtpasswdHash.Verify("s3cr3t", des, out _));
        Assert.Equal(HtpasswdHash.Outcome.Mismatch, HtpasswdHash.Verify("s3cr3t\0anything", des, out _));
    }

    [Fact]
    public void APasswordLongerThanLibxcryptTakes_IsAMismatch_NotAnError()
    {
        var des = LibCryptDes("aaaaaaaa", "ab");
        Assert.Equal(HtpasswdHash.Outcome.Match, HtpasswdHash.Verify("aaaaaaaa", des, out _));
        Assert.Equal(HtpasswdHash.Outcome.Mismatch, HtpasswdHash.Verify(new string('a', 600), des, out var problem));
        Assert.Null(problem);
    }

    private static string LibCryptDes(string password, string salt) =>
        System.Text.Encoding.ASCII.GetString(LibCrypt.Crypt(System.Text.Encoding.UTF8.GetBytes(password), System.Text.Encoding.ASCII.GetBytes(salt))!);
}
