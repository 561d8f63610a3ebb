using System.Globalization;
using System.Text;

namespace KrautPortal.Features.Firewalls;

/// <summary>A line diff of two rulesets in unified form (<c>-</c> removed, <c>+</c> added, three lines of context per hunk).</summary>
public static class LineDiff
{
    /// <summary>Above this many differing lines on each side the middle is shown as replaced whole (the table would be too big).</summary>
    private const int MaxMiddle = 2000;
    private const int Context = 3;

    /// <summary>The unified diff from <paramref name="before"/> to <paramref name="after"/>; empty when they are equal.</summary>
    public static string Unified(string before, string after)
    {
        var a = Lines(before);
        var b = Lines(after);
        var ops = Operations(a, b);
        if (ops.All(o => o.Op == ' ')) return "";

        var text = new StringBuilder();
        var i = 0;
        while (i < ops.Count)
        {
            if (ops[i].Op == ' ') { i++; continue; }
            var start = Math.Max(0, i - Context);
            var end = i;
            // A hunk runs on while the next change is within twice the context.
            while (end < ops.Count)
            {
                if (ops[end].Op != ' ') { end++; continue; }
                var next = end;
                while (next < ops.Count && ops[next].Op == ' ') next++;
                if (next < ops.Count && next - end <= 2 * Context) { end = next; continue; }
                end = Math.Min(ops.Count, end + Context);
                break;
            }
            var oldStart = ops.Take(start).Count(o => o.Op != '+') + 1;
            var newStart = ops.Take(start).Count(o => o.Op != '-') + 1;
            var hunk = ops.Skip(start).Take(end - start).ToList();
            text.Append(CultureInfo.InvariantCulture, $"@@ -{oldStart},{hunk.Count(o => o.Op != '+')} +{newStart},{hunk.Count(o => o.Op != '-')} @@\n");
            foreach (var (op, line) in hunk) text.Append(op).Append(line).Append('\n');
            i = end;
        }
        return text.ToString();
    }

    private static string[] Lines(string text) => text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n');

    private static List<(char Op, string Line)> Operations(string[] a, string[] b)
    {
        var prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix]) prefix++;
        var suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[^(suffix + 1)] == b[^(suffix + 1)]) suffix++;
        var ops = new List<(char, string)>();
        ops.AddRange(a.Take(prefix).Select(l => (' ', l)));
        var midA = a[prefix..(a.Length - suffix)];
        var midB = b[prefix..(b.Length - suffix)];
        if (midA.Length > MaxMiddle || midB.Length > MaxMiddle)
        {
            ops.AddRange(midA.Select(l => ('-', l)));
            ops.AddRange(midB.Select(l => ('+', l)));
        }
        else
        {
            // Longest common subsequence, filled from the end so the walk below goes forwards.
            var lcs = new int[midA.Length + 1, midB.Length + 1];
            for (var x = midA.Length - 1; x >= 0; x--)
                for (var y = midB.Length - 1; y >= 0; y--)
                    lcs[x, y] = midA[x] == midB[y] ? lcs[x + 1, y + 1] + 1 : Math.Max(lcs[x + 1, y], lcs[x, y + 1]);
            int i = 0, j = 0;
            while (i < midA.Length || j < midB.Length)
            {
                if (i < midA.Length && j < midB.Length && midA[i] == midB[j]) { ops.Add((' ', midA[i])); i++; j++; }
                else if (i < midA.Length && (j == midB.Length || lcs[i + 1, j] >= lcs[i, j + 1])) { ops.Add(('-', midA[i])); i++; }
                else { ops.Add(('+', midB[j])); j++; }
            }
        }
        ops.AddRange(a.Skip(a.Length - suffix).Select(l => (' ', l)));
        return ops;
    }
}
