using KrautPortal.Features.Store;

namespace KrautPortal.Tests.Store;

public sealed class ResourceNamesTests
{
    [Theory]
    [InlineData("web-1")]
    [InlineData("a")]
    [InlineData("Web server (prod)")]
    [InlineData("a'b\"<c>&d")]
    [InlineData("Café Müller ☕")]
    [InlineData("数据库 🚀 rocket")]
    public void Problem_ForAPersonsName_IsNull(string name)
    {
        Assert.Null(ResourceNames.Problem(name));
    }

    [Fact]
    public void Problem_AtTheLengthLimit_IsNull_AndOneMoreIsRefused()
    {
        Assert.Null(ResourceNames.Problem(new string('x', ResourceNames.MaxLength)));

        var problem = ResourceNames.Problem(new string('x', ResourceNames.MaxLength + 1));

        Assert.Equal($"A name may have at most {ResourceNames.MaxLength} characters (this one has {ResourceNames.MaxLength + 1}).", problem);
    }

    [Theory]
    [InlineData(null, "A name is required.")]
    [InlineData("", "A name is required.")]
    [InlineData("   ", "A name is required.")]
    [InlineData(" web", "A name may not start or end with spaces.")]
    [InlineData("web ", "A name may not start or end with spaces.")]
    [InlineData("web\n1", "(found U+000A)")]
    [InlineData("web\t1", "(found U+0009)")]
    [InlineData("web\u00001", "(found U+0000)")]
    [InlineData("web\u200b1", "(found U+200B)")]
    [InlineData("web\u20281", "(found U+2028)")]
    [InlineData("web\u202e1", "(found U+202E)")]
    public void Problem_ForEmptySpacedOrInvisibleCharacters_SaysWhatIsWrong(string? name, string expected)
    {
        var problem = ResourceNames.Problem(name);

        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Problem_ForALoneSurrogate_IsRefused()
    {
        // Built in code: a lone surrogate in [InlineData] does not survive test discovery.
        var highAlone = "web" + (char)0xD83D + "1";
        var lowAlone = "web" + (char)0xDE80 + "1";

        Assert.Contains("U+D83D", ResourceNames.Problem(highAlone), StringComparison.Ordinal);
        Assert.Contains("U+DE80", ResourceNames.Problem(lowAlone), StringComparison.Ordinal);
    }
}
