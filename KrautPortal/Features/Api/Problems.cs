using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Mvc;

namespace KrautPortal.Features.Api;

/// <summary>
/// The one mapping from a failure to an RFC 9457 problem+json answer: status, title, detail, field errors and the
/// problem's own fields. The exception handler, the endpoint filters that must add a header, the sign-in handler and
/// the front door's refusals all take their answer from here, so a failure reads the same wherever it is caught.
/// </summary>
public static class Problems
{
    /// <summary>The answer for <paramref name="exception"/>; null when Kraut does not know it (an honest 500, see <see cref="Internal"/>).</summary>
    public static ProblemDetails? For(Exception exception) => exception switch
    {
        ValidationException v => new HttpValidationProblemDetails(v.Errors.ToDictionary(e => e.Key, e => e.Value))
        {
            Status = v.Status, Title = v.Title, Detail = v.Detail,
        },
        KrautProblemException p => Of(p.Status, p.Title, p.Detail, (p as IProblemFields)?.ProblemFields),
        BadHttpRequestException b => Of(b.StatusCode, "Bad request", b.Message),
        _ => null,
    };

    /// <summary>What a failure Kraut did not foresee becomes; the log, not the client, gets the exception.</summary>
    public static ProblemDetails Internal() =>
        Of(StatusCodes.Status500InternalServerError, "Internal error", "Something went wrong inside Kraut; the log has the details.");

    /// <summary>A refusal that is no exception (a sign-in challenge, a cross-origin request).</summary>
    public static ProblemDetails Of(int status, string title, string detail, IReadOnlyDictionary<string, object?>? fields = null)
    {
        var details = new ProblemDetails { Status = status, Title = title, Detail = detail };
        foreach (var (name, value) in fields ?? new Dictionary<string, object?>())
        {
            // A problem's own type URI (RFC 9457 "type") is a member of the document, not an extension.
            if (name == "type" && value is string type) details.Type = type;
            else details.Extensions[name] = value;
        }
        return details;
    }

    /// <summary>The answer as an endpoint result, written by the same problem details service as the exception handler's.</summary>
    public static IResult Result(ProblemDetails details) => TypedResults.Problem(details);

    public static IResult Result(KrautProblemException exception) =>
        Result(For(exception) ?? throw new ArgumentException("Every Kraut problem has an answer.", nameof(exception)));
}

/// <summary>A problem that carries fields beyond its sentence (where to resume, both checksums), for scripts to read.</summary>
public interface IProblemFields
{
    IReadOnlyDictionary<string, object?> ProblemFields { get; }
}
