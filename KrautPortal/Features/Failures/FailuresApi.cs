using KrautPortal.Features.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Failures;

/// <summary>What went wrong: administrators see everything, others the failures of their own and their groups' objects.</summary>
public static class FailuresApi
{
    public static void MapFailures(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/failures").WithTags("failures")
            .MapGet("/", ListAsync).WithName("ListFailures")
            .WithSummary("Failed objects (status), objects whose reconcile keeps failing, and hosts that do not answer, newest first: kind, id, name, owner, message, since and the portal link.");
    }

    public static async Task<Ok<IReadOnlyList<Failure>>> ListAsync(FailureService failures, IActorAccessor actors, CancellationToken ct) =>
        TypedResults.Ok(await failures.ListAsync(actors.Current, ct));
}
