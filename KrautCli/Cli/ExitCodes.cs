namespace KrautCli.Cli;

/// <summary>What a script can rely on: the process's exit code.</summary>
public static class ExitCodes
{
    public const int Done = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int NotFound = 3;
    public const int Conflict = 4;

    /// <summary>
    /// The exit code for an HTTP error status from the portal. A 400 or 422 is the portal refusing what was given (a bad
    /// address, a name taken by the rules, an unknown verb): like a bad flag, the command must change before it can work.
    /// </summary>
    public static int ForStatus(int status) => status switch
    {
        400 or 422 => Usage,
        404 or 410 => NotFound,
        409 or 412 => Conflict,
        _ => Failed,
    };
}

/// <summary>A failure the CLI explains in one sentence (plus field errors) and ends with its exit code.</summary>
public sealed class CliException(string message, int exitCode, IReadOnlyList<string>? details = null, int? httpStatus = null) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>The portal's HTTP status when the failure is its answer.</summary>
    public int? HttpStatus { get; } = httpStatus;

    /// <summary>Further lines under the sentence: the fields the API refused and why.</summary>
    public IReadOnlyList<string> Details { get; } = details ?? [];

    public static CliException Usage(string message) => new(message, ExitCodes.Usage);

    public static CliException NotFound(string message) => new(message, ExitCodes.NotFound);
}
