namespace KrautPortal.Components.Shared;

public enum LineKind { Same, Removed, Added, Changed, Blank }

public sealed record DiffLine(string Text, LineKind Kind);

/// <summary>Side-by-side line diff (longest common subsequence): small documents only, which is all history shows.</summary>
public static class LineDiff
{
    public static (List<DiffLine> Left, List<DiffLine> Right) SideBySide(string before, string after)
    {
        var a = before.Split('\n');
        var b = after.Split('\n');
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
            for (var j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);

        var left = new List<DiffLine>();
        var right = new List<DiffLine>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                left.Add(new DiffLine(a[x++], LineKind.Same));
                right.Add(new DiffLine(b[y++], LineKind.Same));
            }
            else if (x < a.Length && y < b.Length && lcs[x + 1, y] == lcs[x, y + 1])
            {
                // Neither side is preferred: show the pair as one changed line.
                left.Add(new DiffLine(a[x++], LineKind.Changed));
                right.Add(new DiffLine(b[y++], LineKind.Changed));
            }
            else if (y >= b.Length || (x < a.Length && lcs[x + 1, y] >= lcs[x, y + 1]))
            {
                left.Add(new DiffLine(a[x++], LineKind.Removed));
                right.Add(new DiffLine("", LineKind.Blank));
            }
            else
            {
                left.Add(new DiffLine("", LineKind.Blank));
                right.Add(new DiffLine(b[y++], LineKind.Added));
            }
        }
        return (left, right);
    }
}
