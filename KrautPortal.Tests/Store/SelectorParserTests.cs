using KrautPortal.Features.Store.Selectors;

namespace KrautPortal.Tests.Store;

public sealed class SelectorParserTests
{
    [Theory]
    [InlineData("env=prod", SelectorOperator.Equals, new[] { "prod" })]
    [InlineData("env==prod", SelectorOperator.Equals, new[] { "prod" })]
    [InlineData("env!=prod", SelectorOperator.NotEquals, new[] { "prod" })]
    [InlineData("env in (prod,staging)", SelectorOperator.In, new[] { "prod", "staging" })]
    [InlineData("env notin (dev)", SelectorOperator.NotIn, new[] { "dev" })]
    [InlineData("env", SelectorOperator.Exists, new string[0])]
    [InlineData("!env", SelectorOperator.NotExists, new string[0])]
    public void Parse_EachOperator_GivesOneRequirementWithItsValues(string text, SelectorOperator op, string[] values)
    {
        var selector = SelectorParser.Parse(text);

        var requirement = Assert.Single(selector.Requirements);
        Assert.Equal(["env"], requirement.Path);
        Assert.Equal(op, requirement.Operator);
        Assert.Equal(values, requirement.Values);
    }

    [Fact]
    public void Parse_SeveralRequirements_KeepsTheirOrder()
    {
        var selector = SelectorParser.Parse("env=prod,tier!=db,team in (a,b),team notin (c),owner,!legacy");

        Assert.Equal(
            [SelectorOperator.Equals, SelectorOperator.NotEquals, SelectorOperator.In, SelectorOperator.NotIn, SelectorOperator.Exists, SelectorOperator.NotExists],
            selector.Requirements.Select(r => r.Operator));
        Assert.Equal(["env", "tier", "team", "team", "owner", "legacy"], selector.Requirements.Select(r => r.Key));
    }

    [Fact]
    public void Parse_DottedKey_SplitsIntoNestedSegments()
    {
        var requirement = Assert.Single(SelectorParser.Parse("app.tier.name=web").Requirements);

        Assert.Equal(["app", "tier", "name"], requirement.Path);
        Assert.Equal("app.tier.name", requirement.Key);
    }

    [Fact]
    public void Parse_KeysAndValuesWithSlashDashUnderscoreColonAt_AreOneToken()
    {
        var requirement = Assert.Single(SelectorParser.Parse("team-x/role_1=user@host:8080+v1.2").Requirements);

        Assert.Equal(["team-x/role_1"], requirement.Path);
        Assert.Equal(["user@host:8080+v1.2"], requirement.Values);
    }

    [Fact]
    public void Parse_SpacesAroundEveryToken_AreIgnored()
    {
        var spaced = SelectorParser.Parse("  env = prod ,  tier != db , team  in  ( a , b ) , team notin (c) ,  owner  , ! legacy  ");
        var tight = SelectorParser.Parse("env=prod,tier!=db,team in (a,b),team notin (c),owner,!legacy");

        Assert.Equal(tight.Requirements.Count, spaced.Requirements.Count);
        for (var i = 0; i < tight.Requirements.Count; i++)
        {
            Assert.Equal(tight.Requirements[i].Path, spaced.Requirements[i].Path);
            Assert.Equal(tight.Requirements[i].Operator, spaced.Requirements[i].Operator);
            Assert.Equal(tight.Requirements[i].Values, spaced.Requirements[i].Values);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Parse_NothingOrBlank_SelectsEverything(string? text)
    {
        var selector = SelectorParser.Parse(text);

        Assert.True(selector.IsEmpty);
    }

    [Theory]
    [InlineData("env=", 4)]
    [InlineData("env!=", 5)]
    [InlineData("env= ,x", 5)]
    [InlineData("env in (a", 9)]
    [InlineData("env in (a,)", 10)]
    [InlineData("env in a", 7)]
    [InlineData("team notin c", 11)]
    [InlineData("a..b", 2)]
    [InlineData(".a=1", 0)]
    [InlineData("a.=1", 2)]
    [InlineData("=x", 0)]
    [InlineData("env=prod,,x", 9)]
    [InlineData("env=prod,", 9)]
    [InlineData("env=prod x", 9)]
    [InlineData("env~prod", 3)]
    [InlineData("env foo (a)", 4)]
    [InlineData("env!prod", 4)]
    [InlineData("!", 1)]
    [InlineData("!legacy=x", 7)]
    public void Parse_Malformed_ThrowsWithThePositionOfTheOffendingCharacter(string text, int position)
    {
        var e = Assert.Throws<SelectorParseException>(() => SelectorParser.Parse(text));

        Assert.Equal(position, e.Position);
        Assert.Equal(text, e.SelectorText);
        Assert.False(string.IsNullOrWhiteSpace(e.Reason));
        // People count from 1.
        Assert.StartsWith($"Invalid selector at position {position + 1}: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TooManyRequirements_IsRefused()
    {
        var text = string.Join(',', Enumerable.Range(0, SelectorParser.MaxRequirements + 1).Select(i => $"k{i}=v"));

        var e = Assert.Throws<SelectorParseException>(() => SelectorParser.Parse(text));

        Assert.Contains($"at most {SelectorParser.MaxRequirements}", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OverlongSelector_IsRefusedBeforeParsing()
    {
        var text = "k=" + new string('v', SelectorParser.MaxLength);

        var e = Assert.Throws<SelectorParseException>(() => SelectorParser.Parse(text));

        Assert.Contains($"at most {SelectorParser.MaxLength} characters", e.Reason, StringComparison.Ordinal);
    }
}
