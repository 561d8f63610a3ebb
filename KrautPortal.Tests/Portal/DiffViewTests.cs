using Bunit;
using KrautPortal.Components.Shared;

namespace KrautPortal.Tests.Portal;

public sealed class DiffViewTests : PortalTestContext
{
    private const string Before = "{\n  \"name\": \"web-1\",\n  \"env\": \"test\",\n  \"old\": true\n}";
    private const string After = "{\n  \"name\": \"web-1\",\n  \"env\": \"prod\",\n  \"new\": 1,\n  \"more\": 2\n}";

    [Fact]
    public void LineDiff_PairsLinesAndMarksChangedAddedRemoved()
    {
        var (left, right) = LineDiff.SideBySide("a\nb\nc\nd", "a\nB\nc\nd\ne");

        Assert.Equal(left.Count, right.Count);
        Assert.Equal([LineKind.Same, LineKind.Changed, LineKind.Same, LineKind.Same, LineKind.Blank], left.Select(l => l.Kind));
        Assert.Equal([LineKind.Same, LineKind.Changed, LineKind.Same, LineKind.Same, LineKind.Added], right.Select(l => l.Kind));
        Assert.Equal(("b", "B"), (left[1].Text, right[1].Text));
        Assert.Equal("e", right[4].Text);
    }

    [Fact]
    public void LineDiff_RemovedLineLeavesABlankOpposite()
    {
        var (left, right) = LineDiff.SideBySide("a\nb\nc", "a\nc");

        Assert.Equal([LineKind.Same, LineKind.Removed, LineKind.Same], left.Select(l => l.Kind));
        Assert.Equal([LineKind.Same, LineKind.Blank, LineKind.Same], right.Select(l => l.Kind));
    }

    [Fact]
    public void LineDiff_EqualTextsAreAllSame()
    {
        var (left, right) = LineDiff.SideBySide(Before, Before);
        Assert.All(left.Concat(right), l => Assert.Equal(LineKind.Same, l.Kind));
    }

    [Fact]
    public void DiffView_ShowsBothSidesWithTheChangedLinesMarked()
    {
        var cut = Render<DiffView>(p => p.Add(x => x.Before, Before).Add(x => x.After, After).Add(x => x.LeftTitle, "v1").Add(x => x.RightTitle, "v2"));

        var left = cut.FindAll("[data-testid=diff-left] span").Select(s => (s.ClassName, s.TextContent)).ToList();
        var right = cut.FindAll("[data-testid=diff-right] span").Select(s => (s.ClassName, s.TextContent)).ToList();
        Assert.Equal(left.Count, right.Count);
        Assert.Contains(("changed", "  \"env\": \"test\","), left);
        Assert.Contains(("changed", "  \"env\": \"prod\","), right);
        Assert.Contains(left, l => l.ClassName is "changed" or "removed" && l.TextContent.Contains("\"old\""));
        Assert.Contains(right, r => r.ClassName == "added" && r.TextContent.Contains("\"more\""));
        Assert.All(left.Zip(right).Where(p => p.First.TextContent.Contains("\"name\"")), p => Assert.Equal(("same", "same"), (p.First.ClassName, p.Second.ClassName)));
        Assert.Contains("v1", cut.Markup);
        Assert.Contains("v2", cut.Markup);
    }
}
