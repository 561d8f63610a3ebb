using System.Net.Sockets;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.AddressPools;

/// <summary>A pool's ranges are well-formed CIDR of the right family; writing pools is for administrators (see <see cref="Authorizer"/>).</summary>
public sealed class AddressPoolRules : IResourceRules<AddressPoolSpec, AddressPoolStatus>
{
    public KindInfo Kind => Kinds.AddressPools;
    public bool DeletesAsynchronously => false;

    public Task<AddressPoolSpec> PrepareAsync(AddressPoolSpec spec, Resource<AddressPoolSpec, AddressPoolStatus>? existing, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (spec.Ipv4.Count == 0 && spec.Ipv6.Count == 0)
            errors.Add("spec.ipv4", "Give at least one range: an IPv4 range (e.g. 10.64.0.0/10), an IPv6 range (e.g. fd4b:7261:7574::/48), or both.");
        var ipv4 = Check("spec.ipv4", spec.Ipv4, AddressFamily.InterNetwork, errors);
        var ipv6 = Check("spec.ipv6", spec.Ipv6, AddressFamily.InterNetworkV6, errors);
        return Task.FromResult(spec with { Ipv4 = ipv4, Ipv6 = ipv6 });
    }

    /// <summary>Checks each range and returns them in canonical form, so pools compare and display alike.</summary>
    private static List<string> Check(string field, IReadOnlyList<string> ranges, AddressFamily family, ValidationErrors errors)
    {
        var canonical = new List<string>();
        for (var i = 0; i < ranges.Count; i++)
        {
            if (IpRanges.TryParse(ranges[i], family, out var range, out var problem)) canonical.Add(range.ToString());
            else errors.Add($"{field}[{i}]", problem);
        }
        return canonical;
    }

    public AddressPoolStatus InitialStatus(AddressPoolSpec spec) => new();

    // Networks made from a pool keep their range when the pool goes: ranges are checked when a network is created.
    public Task EnsureDeletableAsync(Resource<AddressPoolSpec, AddressPoolStatus> existing, Actor actor, CancellationToken ct) => Task.CompletedTask;

    public void Changed(Guid id) { }
}
