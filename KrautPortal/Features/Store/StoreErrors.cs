namespace KrautPortal.Features.Store;

/// <summary>A failure a person can act on; the API turns it into problem+json, the portal into a message.</summary>
public abstract class KrautProblemException(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public string Detail => Message;
}

public sealed class NotFoundException(string kind, Guid id)
    : KrautProblemException(404, "Not found", $"There is no {kind} with id {id}.");

public sealed class ConflictException(string detail) : KrautProblemException(409, "Conflict", detail);

public sealed class PreconditionFailedException(long expected, long actual)
    : KrautProblemException(412, "Precondition failed",
        $"The object changed: you sent If-Match for version {expected}, but it is now at version {actual}. Fetch it again and retry.")
{
    public long CurrentVersion { get; } = actual;
}

public sealed class BadRequestException(string title, string detail) : KrautProblemException(400, title, detail);

/// <summary>Field-level problems; keys are JSON paths such as <c>spec.vcpus</c>.</summary>
public sealed class ValidationException(IReadOnlyDictionary<string, string[]> errors)
    : KrautProblemException(422, "Invalid request", Describe(errors))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    public ValidationException(string field, string message) : this(new Dictionary<string, string[]> { [field] = [message] }) { }

    private static string Describe(IReadOnlyDictionary<string, string[]> errors) =>
        string.Join(" ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")));
}

/// <summary>Collects field errors, then throws them all at once.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = [];

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
    }

    public void ThrowIfAny()
    {
        if (Any) throw new ValidationException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }
}

/// <summary>Visible, but not yours to change (shared objects, admin-only kinds, a token's limits).</summary>
public sealed class ForbiddenException(string detail) : KrautProblemException(403, "Forbidden", detail);
