using KrautCli.Cli;

namespace KrautCli.Config;

/// <summary>The portal one command talks to, resolved from flags, environment and the config file.</summary>
public sealed record Remote(string Name, Uri Url, string? Token)
{
    /// <summary>
    /// Order: <c>--remote</c>, then <c>KRAUT_REMOTE</c> (a remote's name, or a URL for scripts without a config file),
    /// then the config's default. <c>KRAUT_TOKEN</c> replaces whatever token the remote has.
    /// </summary>
    public static Remote Resolve(string? flag)
    {
        var wanted = !string.IsNullOrEmpty(flag) ? flag : Environment.GetEnvironmentVariable("KRAUT_REMOTE");
        var envToken = Environment.GetEnvironmentVariable("KRAUT_TOKEN");
        var token = string.IsNullOrEmpty(envToken) ? null : envToken;
        if (wanted is not null && (wanted.StartsWith("http://", StringComparison.Ordinal) || wanted.StartsWith("https://", StringComparison.Ordinal)))
            return new Remote(wanted, ParseUrl(wanted), token);

        var config = KrautConfig.Load();
        var name = string.IsNullOrEmpty(wanted) ? config.Default : wanted;
        if (name is null)
            throw CliException.Usage("No remote is set up: run `kraut remote add NAME URL --token TOKEN` first (or set KRAUT_REMOTE to a URL).");
        if (!config.Remotes.TryGetValue(name, out var entry))
            throw CliException.Usage($"There is no remote named '{name}'; `kraut remote list` shows the ones set up.");
        return new Remote(name, ParseUrl(entry.Url), token ?? ReadToken(entry));
    }

    public static Uri ParseUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw CliException.Usage($"'{url}' is not an http:// or https:// address.");

    private static string? ReadToken(RemoteEntry entry)
    {
        if (!string.IsNullOrEmpty(entry.Token)) return entry.Token;
        if (string.IsNullOrEmpty(entry.TokenFile)) return null;
        try
        {
            return File.ReadAllText(entry.TokenFile).Trim();
        }
        catch (IOException e)
        {
            throw new CliException($"Cannot read the token file {entry.TokenFile}: {e.Message}", ExitCodes.Failed);
        }
        catch (UnauthorizedAccessException)
        {
            throw new CliException($"Cannot read the token file {entry.TokenFile}: permission denied.", ExitCodes.Failed);
        }
    }
}
