namespace KrautPortal.Features.Auth.Htpasswd;

/// <summary>One user's line in an htpasswd file: where it is (for messages) and the stored hash.</summary>
internal sealed record HtpasswdEntry(int Line, string Hash);

/// <summary>The parsers for Apache's two files: <c>user:hash</c> lines, and <c>group: user1 user2</c> lines.</summary>
internal static class HtpasswdFiles
{
    /// <summary>
    /// Users by name. Blank lines and <c>#</c> comments are skipped; a line without <c>user:</c> is logged (by number
    /// only: lines hold hashes) and ignored. As in Apache, the first line for a user wins.
    /// </summary>
    public static IReadOnlyDictionary<string, HtpasswdEntry> ParseUsers(string text, string path, ILogger logger)
    {
        var users = new Dictionary<string, HtpasswdEntry>(StringComparer.Ordinal);
        var number = 0;
        foreach (var line in Lines(text))
        {
            number++;
            if (IsBlankOrComment(line)) continue;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                logger.LogWarning("Line {Line} of {Path} is not 'user:hash'; ignored", number, path);
                continue;
            }
            users.TryAdd(line[..colon], new HtpasswdEntry(number, line[(colon + 1)..].Trim()));
        }
        return users;
    }

    /// <summary>
    /// Each user's groups, in file order. A group may be spread over several lines, as Apache allows; members are
    /// separated by spaces or tabs.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> ParseGroups(string text, string path, ILogger logger)
    {
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var number = 0;
        foreach (var line in Lines(text))
        {
            number++;
            if (IsBlankOrComment(line)) continue;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var group = colon < 0 ? "" : line[..colon].Trim();
            if (group.Length == 0)
            {
                logger.LogWarning("Line {Line} of {Path} is not 'group: user1 user2'; ignored", number, path);
                continue;
            }
            foreach (var member in line[(colon + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (!groups.TryGetValue(member, out var list)) groups[member] = list = [];
                if (!list.Contains(group)) list.Add(group);
            }
        }
        return groups.ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Value, StringComparer.Ordinal);
    }

    private static IEnumerable<string> Lines(string text) => text.Split('\n').Select(l => l.TrimEnd('\r'));

    private static bool IsBlankOrComment(string line) => line.TrimStart().Length == 0 || line.TrimStart().StartsWith('#');
}
