using KrautPortal.Features.Auth.Ldap;

namespace KrautPortal.Tests.Auth;

public sealed class LdapEscapeTests
{
    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("a,b=c+d", @"a\,b\=c\+d")]
    [InlineData("x,ou=decoy", @"x\,ou\=decoy")]
    [InlineData("\"quoted\";<angle>\\", @"\""quoted\""\;\<angle\>\\")]
    [InlineData(" padded ", @"\ padded\ ")]
    [InlineData("#hash#", @"\#hash#")]
    [InlineData("nul\0and\nnewline", @"nul\00and\0anewline")]
    [InlineData("jörg", "jörg")]
    public void DnValues_EscapeEverySpecialOfRfc4514(string value, string escaped) =>
        Assert.Equal(escaped, LdapEscape.DnValue(value));

    [Theory]
    [InlineData("uid=alice,ou=people", "uid=alice,ou=people")]
    [InlineData("*)(uid=*", @"\2a\29\28uid=\2a")]
    [InlineData(@"uid=a\,b", @"uid=a\5c,b")]
    [InlineData("nul\0", @"nul\00")]
    public void FilterValues_EscapeEverySpecialOfRfc4515(string value, string escaped) =>
        Assert.Equal(escaped, LdapEscape.FilterValue(value));
}
