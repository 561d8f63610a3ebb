using System.Text.Json.Nodes;
using KrautPortal.Features.Api;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Firewalls;

/// <summary>Firewall endpoints beyond the shared ones: preview, counters and the routers' apply status; each reads as GET does.</summary>
public static class FirewallsApi
{
    public static void MapFirewalls(this IEndpointRouteBuilder app)
    {
        // Create is the firewall's own: its rules must know the owner asked for (see FirewallCreation).
        var group = app.MapResourceApi<FirewallSpec, FirewallStatus>(Kinds.Firewalls, mapCreate: false);
        group.MapPost("/", Create).WithName("CreateFirewalls").WithSummary("Create a firewall.").Accepts<ResourceInput<FirewallSpec>>("application/json");
        group.MapPost("/{id}/preview", Preview).WithName("PreviewFirewall")
            .WithSummary("The exact ruleset each attached network's router would load, its hash, notes, and a line diff against what the router runs now. "
                + "Optional body: a draft spec (or {\"spec\": …}), validated as a write would be but not saved.")
            .Accepts<FirewallSpec>(true, "application/json");
        group.MapGet("/{id}/counters", Counters).WithName("FirewallCounters")
            .WithSummary("Per attached network: packets and bytes each rule and forward has matched on its router (and packets a rate limit dropped).");
        group.MapGet("/{id}/routers", Routers).WithName("FirewallRouters")
            .WithSummary("Per attached network: its router's apply status (desired and applied version and hash, error), or that it has none.");
    }

    public static async Task<Created<Resource<FirewallSpec, FirewallStatus>>> Create(FirewallCreation creation, HttpContext http, CancellationToken ct)
    {
        var input = RequestBody.ToInput<FirewallSpec>(await JsonBodyReader.ReadObjectAsync(http.Request, ct));
        var created = await creation.CreateAsync(input, ct);
        http.Response.Headers.ETag = ETags.For(created.Version);
        return TypedResults.Created($"/api/v1/firewalls/{created.Id}", created);
    }

    public static async Task<Ok<FirewallPreview>> Preview(FirewallRulesets rulesets, string id, HttpContext http, CancellationToken ct)
    {
        var guid = ApiIds.Parse(id);
        FirewallSpec? draft = null;
        if (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            var body = await JsonBodyReader.ReadObjectAsync(http.Request, ct);
            draft = RequestBody.ReadSpec<FirewallSpec>(body["spec"] as JsonObject ?? body);
        }
        return TypedResults.Ok(await rulesets.PreviewAsync(guid, draft, ct));
    }

    public static async Task<Ok<IReadOnlyList<NetworkCounters>>> Counters(FirewallRulesets rulesets, string id, CancellationToken ct) =>
        TypedResults.Ok(await rulesets.CountersAsync(ApiIds.Parse(id), ct));

    public static async Task<Ok<IReadOnlyList<NetworkRouterStatus>>> Routers(FirewallRulesets rulesets, string id, CancellationToken ct) =>
        TypedResults.Ok(await rulesets.RoutersAsync(ApiIds.Parse(id), ct));
}
