using KrautPortal.Features.Store;

namespace KrautPortal.Features.Firewalls;

/// <summary>
/// Creates firewalls knowing whose they will be. The store's rules see no owner on create, yet a firewall may only be
/// attached to networks (and forward to VMs) of its own owner: this tells <see cref="FirewallRules"/> (through
/// <see cref="FirewallCreationOwner"/>) the owner asked for. API and portal create firewalls through here.
/// </summary>
public sealed class FirewallCreation(ResourceService<FirewallSpec, FirewallStatus> firewalls, FirewallCreationOwner owner)
{
    public async Task<Resource<FirewallSpec, FirewallStatus>> CreateAsync(ResourceInput<FirewallSpec> input, CancellationToken ct)
    {
        owner.Requested = string.IsNullOrWhiteSpace(input.Owner) ? null : input.Owner;
        try
        {
            return await firewalls.CreateAsync(input, ct);
        }
        finally
        {
            owner.Requested = null;
        }
    }
}

/// <summary>The owner the create in progress of this scope asked for (null: the creator); set by <see cref="FirewallCreation"/> only.</summary>
public sealed class FirewallCreationOwner
{
    public string? Requested { get; internal set; }
}
