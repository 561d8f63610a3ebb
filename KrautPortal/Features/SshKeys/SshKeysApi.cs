using KrautPortal.Features.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.SshKeys;

/// <summary>The signed-in user's SSH public keys: list, add one, remove one.</summary>
public static class SshKeysApi
{
    public sealed record NewSshKey(string? Key);

    public static void MapSshKeys(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/profile/ssh-keys").WithTags("profile");
        group.MapGet("/", ListAsync).WithName("ListSshKeys").WithSummary("Your SSH public keys; new VMs get them unless you change the list.");
        group.MapPost("/", AddAsync).WithName("AddSshKey")
            .WithSummary("Add an OpenSSH public key line (ssh-ed25519, ssh-rsa of 2048 bits or more, ecdsa-sha2-nistp256/384/521).");
        group.MapDelete("/{id}", RemoveAsync).WithName("RemoveSshKey").WithSummary("Remove a key by its id (from the list).");
    }

    public static async Task<Ok<IReadOnlyList<SshKeyInfo>>> ListAsync(SshKeyService keys, IActorAccessor actors, CancellationToken ct) =>
        TypedResults.Ok(await keys.ListAsync(actors.Current.Name, ct));

    public static async Task<Created<SshKeyInfo>> AddAsync(NewSshKey body, SshKeyService keys, IActorAccessor actors, CancellationToken ct)
    {
        var added = await keys.AddAsync(Writer(actors), body.Key, ct);
        return TypedResults.Created($"/api/v1/profile/ssh-keys/{added.Id}", added);
    }

    /// <summary>
    /// Keys reach every VM the user creates next, so a limited-scope token (which may only read VMs, say) must not
    /// change them: only the person, signed in with their own credentials, does.
    /// </summary>
    private static string Writer(IActorAccessor actors)
    {
        var actor = actors.Current;
        if (actor.Scope is not null)
            throw new Features.Store.ForbiddenException("A limited-scope token cannot change your SSH keys; sign in with your own credentials (or use the portal's profile page).");
        return actor.Name;
    }

    public static async Task<NoContent> RemoveAsync(string id, SshKeyService keys, IActorAccessor actors, CancellationToken ct)
    {
        await keys.RemoveAsync(Writer(actors), id, ct);
        return TypedResults.NoContent();
    }
}
