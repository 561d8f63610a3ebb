using KrautPortal.Features.Firewalls;

namespace KrautPortal.Tests.Firewalls;

public sealed class LineDiffTests
{
    [Fact]
    public void EqualTexts_HaveNoDiff() => Assert.Equal("", LineDiff.Unified("a\nb\n", "a\nb\n"));

    [Fact]
    public void AChangedLine_IsShownRemovedThenAdded_WithContext()
    {
        var before = string.Join('\n', Enumerable.Range(1, 10).Select(i => $"line {i}")) + "\n";
        var after = before.Replace("line 5\n", "line five\n", StringComparison.Ordinal) + "line 11\n";

        Assert.Equal("@@ -2,9 +2,10 @@\n line 2\n line 3\n line 4\n-line 5\n+line five\n line 6\n line 7\n line 8\n line 9\n line 10\n+line 11\n",
            LineDiff.Unified(before, after));
    }

    [Fact]
    public void AgainstNothing_EveryLineIsAdded() => Assert.Equal("@@ -1,0 +1,2 @@\n+a\n+b\n", LineDiff.Unified("", "a\nb\n"));
}
