using System.Text.Json.Nodes;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Api;

/// <summary>The endpoints every kind shares: list, create, read, replace, patch, delete, history, diff, revert.</summary>
public static class ResourceApi
{
    /// <param name="mapCreate">False when the kind creates its own way (tokens answer with their secret).</param>
    public static RouteGroupBuilder MapResourceApi<TSpec, TStatus>(this IEndpointRouteBuilder app, KindInfo kind, bool mapCreate = true)
        where TSpec : class
        where TStatus : class
    {
        var group = app.MapGroup($"/api/v1/{kind.Name}").WithTags(kind.Plural);
        group.AddEndpointFilter(AnswerPreconditionFailed);
        var name = string.Concat(kind.Plural.Split(' ', '-').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));

        group.MapGet("/", ResourceEndpoints<TSpec, TStatus>.List).WithName($"List{name}")
            .WithSummary($"List {kind.Plural}, filtered by a metadata selector (and ?name= for one exact name), a page at a time.");
        if (mapCreate)
        {
            group.MapPost("/", ResourceEndpoints<TSpec, TStatus>.Create).WithName($"Create{name}")
                .WithSummary($"Create a {kind.Singular}.").Accepts<ResourceInput<TSpec>>("application/json");
        }
        group.MapGet("/{id}", ResourceEndpoints<TSpec, TStatus>.Get).WithName($"Get{name}").WithSummary($"Read one {kind.Singular}; ETag is its version.");
        group.MapPut("/{id}", ResourceEndpoints<TSpec, TStatus>.Replace).WithName($"Replace{name}")
            .WithSummary("Replace name, metadata and spec. Send If-Match with the version you read.").Accepts<ResourceInput<TSpec>>("application/json");
        group.MapPatch("/{id}", ResourceEndpoints<TSpec, TStatus>.Patch).WithName($"Patch{name}")
            .WithSummary("JSON merge patch (RFC 7396) of name, metadata and spec; null removes a key.").Accepts<JsonObject>("application/merge-patch+json", "application/json");
        group.MapDelete("/{id}", ResourceEndpoints<TSpec, TStatus>.Delete).WithName($"Delete{name}")
            .WithSummary("Delete; 202 while a real object is still being torn down.");
        group.MapGet("/{id}/history", ResourceEndpoints<TSpec, TStatus>.History).WithName($"History{name}").WithSummary("Every version, newest first.");
        group.MapGet("/{id}/history/{version:long}", ResourceEndpoints<TSpec, TStatus>.Version).WithName($"Version{name}").WithSummary("One earlier version, whole.");
        group.MapGet("/{id}/diff", ResourceEndpoints<TSpec, TStatus>.Diff).WithName($"Diff{name}").WithSummary("What changed between two versions.");
        group.MapPost("/{id}/revert", ResourceEndpoints<TSpec, TStatus>.Revert).WithName($"Revert{name}")
            .WithSummary("Make a new version equal to an earlier one. Body: {\"version\": N}.").Accepts<RevertRequest>("application/json");
        return group;
    }

    /// <summary>
    /// A 412 carries the current version as ETag, so a client can fetch and retry. It is answered here, inside
    /// the endpoint, because the exception handler middleware strips ETag from every response it writes.
    /// </summary>
    private static async ValueTask<object?> AnswerPreconditionFailed(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (PreconditionFailedException e)
        {
            context.HttpContext.Response.Headers.ETag = ETags.For(e.CurrentVersion);
            return Problems.Result(e);
        }
    }
}

public sealed record RevertRequest(long Version);

public sealed record ListResponse<T>(IReadOnlyList<T> Items, string? Continue);

public sealed record DiffResponse(long From, long To, IReadOnlyList<JsonChange> Changes);

public static class ResourceEndpoints<TSpec, TStatus>
    where TSpec : class
    where TStatus : class
{
    public static async Task<Ok<ListResponse<Resource<TSpec, TStatus>>>> List(ResourceService<TSpec, TStatus> service,
        string? selector, int? limit, string? @continue, string? sort, string? name, CancellationToken ct)
    {
        var page = await service.ListAsync(new ListQuery(selector, limit ?? ListQuery.DefaultLimit, @continue, sort ?? "name", string.IsNullOrEmpty(name) ? null : name), ct);
        return TypedResults.Ok(new ListResponse<Resource<TSpec, TStatus>>(page.Items, page.Continue));
    }

    public static async Task<Created<Resource<TSpec, TStatus>>> Create(ResourceService<TSpec, TStatus> service, HttpContext http, CancellationToken ct)
    {
        var input = RequestBody.ToInput<TSpec>(await JsonBodyReader.ReadObjectAsync(http.Request, ct));
        var created = await service.CreateAsync(input, ct);
        http.Response.Headers.ETag = ETags.For(created.Version);
        return TypedResults.Created($"/api/v1/{service.Kind.Name}/{created.Id}", created);
    }

    public static async Task<Ok<Resource<TSpec, TStatus>>> Get(ResourceService<TSpec, TStatus> service, string id, HttpContext http, CancellationToken ct) =>
        WithETag(http, await service.GetAsync(ApiIds.Parse(id), ct));

    public static async Task<Ok<Resource<TSpec, TStatus>>> Replace(ResourceService<TSpec, TStatus> service, string id, HttpContext http, CancellationToken ct)
    {
        var guid = ApiIds.Parse(id);
        var expected = ETags.ExpectedVersion(http.Request);
        var input = RequestBody.ToInput<TSpec>(await JsonBodyReader.ReadObjectAsync(http.Request, ct));
        return WithETag(http, await service.ReplaceAsync(guid, expected, input, ct));
    }

    public static async Task<Ok<Resource<TSpec, TStatus>>> Patch(ResourceService<TSpec, TStatus> service, string id, HttpContext http, CancellationToken ct)
    {
        var guid = ApiIds.Parse(id);
        var expected = ETags.ExpectedVersion(http.Request);
        var patch = await JsonBodyReader.ReadObjectAsync(http.Request, ct);
        return WithETag(http, await service.PatchAsync(guid, expected, patch, ct));
    }

    public static async Task<Results<NoContent, Accepted<Resource<TSpec, TStatus>>>> Delete(ResourceService<TSpec, TStatus> service, string id, HttpContext http, CancellationToken ct)
    {
        var guid = ApiIds.Parse(id);
        var (outcome, marked) = await service.DeleteAsync(guid, ETags.ExpectedVersion(http.Request), ct);
        if (outcome == DeleteOutcome.Deleted) return TypedResults.NoContent();
        // The object as the deletion left it, not read again: a token may be allowed to delete without being allowed to read.
        return TypedResults.Accepted($"/api/v1/{service.Kind.Name}/{guid}", marked);
    }

    public static async Task<Ok<IReadOnlyList<HistoryEntry>>> History(ResourceService<TSpec, TStatus> service, string id, CancellationToken ct) =>
        TypedResults.Ok(await service.HistoryAsync(ApiIds.Parse(id), ct));

    public static async Task<Ok<HistoryVersion>> Version(ResourceService<TSpec, TStatus> service, string id, long version, CancellationToken ct) =>
        TypedResults.Ok(await service.GetVersionAsync(ApiIds.Parse(id), version, ct));

    public static async Task<Ok<DiffResponse>> Diff(ResourceService<TSpec, TStatus> service, string id, long? from, long? to, CancellationToken ct)
    {
        var guid = ApiIds.Parse(id);
        if (from is null || to is null)
            throw new BadRequestException("Missing versions", "Name both versions to compare: ?from=1&to=3.");
        return TypedResults.Ok(new DiffResponse(from.Value, to.Value, await service.DiffAsync(guid, from.Value, to.Value, ct)));
    }

    public static async Task<Ok<Resource<TSpec, TStatus>>> Revert(ResourceService<TSpec, TStatus> service, string id, HttpContext http, CancellationToken ct)
    {
        var guid = ApiIds.Parse(id);
        var body = await JsonBodyReader.ReadObjectAsync(http.Request, ct);
        if (body["version"] is not JsonValue v || !v.TryGetValue<long>(out var version))
            throw new ValidationException("version", "Give the version to revert to as a number: {\"version\": 3}.");
        return WithETag(http, await service.RevertAsync(guid, version, ETags.ExpectedVersion(http.Request), ct));
    }

    private static Ok<Resource<TSpec, TStatus>> WithETag(HttpContext http, Resource<TSpec, TStatus> resource)
    {
        http.Response.Headers.ETag = ETags.For(resource.Version);
        return TypedResults.Ok(resource);
    }
}
