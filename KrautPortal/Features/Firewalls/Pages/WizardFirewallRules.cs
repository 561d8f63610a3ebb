using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Features.Vms.Wizard;

namespace KrautPortal.Features.Firewalls.Pages;

/// <summary>One "allow these ports to this VM" line of the wizard's firewall step.</summary>
public sealed class WizardAllow
{
    public RuleProtocol Protocol { get; set; } = RuleProtocol.Tcp;
    public string Ports { get; set; } = "";
    public string Sources { get; set; } = "";

    public RuleRow ToRow(string vmName) => new()
    {
        Protocol = Protocol,
        Ports = Ports,
        Sources = Sources,
        DestinationSelector = $"{WizardFirewallRules.Label}={vmName}",
        Comment = $"to VM {vmName} (from the create-VM wizard)",
    };
}

/// <summary>
/// The create-VM wizard's firewall step: for the chosen networks that have a router, shows the firewall in force and
/// collects "allow these ports to this VM" lines; once the VM exists they become rules of each network's firewall (one
/// is made, attached to the network, where there is none) whose destination is the VM, found by a metadata label the
/// step puts on it (<c>kraut-fw=&lt;vm name&gt;</c>), so the rules follow the VM's addresses.
/// </summary>
public sealed class WizardFirewallRules(
    IRoutedNetworks routed,
    ResourceService<FirewallSpec, FirewallStatus> firewalls,
    ResourceService<NetworkSpec, NetworkStatus> networks) : IVmWizardStep
{
    /// <summary>The metadata key the wizard labels the VM with; the rules select it by this label.</summary>
    public const string Label = "kraut-fw";
    private const string Key = "firewall";

    public string Title => "Firewall";

    public Type Component => typeof(FirewallStep);

    /// <summary>What the step collected, kept in the draft.</summary>
    public static List<WizardAllow> AllowsOf(VmDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (draft.Extensions.TryGetValue(Key, out var kept) && kept is List<WizardAllow> list) return list;
        var made = new List<WizardAllow>();
        draft.Extensions[Key] = made;
        return made;
    }

    /// <summary>Lines with nothing typed in them are left out, not refused.</summary>
    private static List<WizardAllow> Filled(VmDraft draft) => AllowsOf(draft).Where(a => a.Ports.Trim().Length > 0 || a.Protocol is not (RuleProtocol.Tcp or RuleProtocol.Udp)).ToList();

    public async Task<bool> AppliesAsync(VmDraft draft, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return draft.NetworkIds.Count > 0 && (await routed.WithRouterAsync(draft.NetworkIds, ct)).Count > 0;
    }

    public string? Problem(VmDraft draft) =>
        Filled(draft).Select((a, i) => RuleChecks.Of(a.ToRow(draft.Name)) is { Count: > 0 } p ? $"Line {i + 1}: {p.Values.First()}" : null).FirstOrDefault(p => p is not null);

    public void Prepare(VmDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (Filled(draft).Count > 0) draft.Metadata[Label] = draft.Name.Trim();
        else draft.Metadata.Remove(Label);
    }

    public async Task<string?> CreatedAsync(VmDraft draft, Resource<VmSpec, VmStatus> vm, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentNullException.ThrowIfNull(vm);
        var allows = Filled(draft);
        if (allows.Count == 0) return null;
        var rules = allows.Select(a => a.ToRow(vm.Name).ToRule()).ToList();
        var withRouter = await routed.WithRouterAsync(draft.NetworkIds, ct);
        var all = new ListQuery(Limit: ListQuery.MaxLimit);
        var existing = (await firewalls.ListAsync(all, ct)).Items;
        var done = new List<string>();
        var updated = new HashSet<Guid>();
        foreach (var networkId in draft.NetworkIds.Where(withRouter.Contains))
        {
            if (existing.FirstOrDefault(f => f.Spec.NetworkIds.Contains(networkId)) is { } firewall)
            {
                // A firewall on several of the chosen networks gets the rules once.
                if (!updated.Add(firewall.Id)) continue;
                await firewalls.UpdateSpecAsync(firewall.Id, null, spec => spec with { Rules = [.. spec.Rules, .. rules] },
                    $"rules for VM {vm.Name} added by the create-VM wizard", ct);
                done.Add(firewall.Name);
            }
            else
            {
                var network = await networks.GetAsync(networkId, ct);
                var name = await FreeNameAsync($"{network.Name}-firewall", ct);
                var created = await firewalls.CreateAsync(new ResourceInput<FirewallSpec>(name, new System.Text.Json.Nodes.JsonObject(),
                    new FirewallSpec { NetworkIds = [networkId], Rules = rules, Description = $"Made by the create-VM wizard for {vm.Name}." }), ct);
                done.Add(created.Name);
            }
        }
        return done.Count == 0 ? null : $"Firewall rules for {vm.Name} added to {string.Join(", ", done)}.";
    }

    private async Task<string> FreeNameAsync(string wanted, CancellationToken ct)
    {
        var stem = wanted.Length > ResourceNames.MaxLength - 3 ? wanted[..(ResourceNames.MaxLength - 3)] : wanted;
        for (var i = 1; i < 100; i++)
        {
            var name = i == 1 ? stem : $"{stem}-{i}";
            if (await firewalls.NewNameProblemAsync(name, ct) is null) return name;
        }
        return $"{stem}-{Guid.NewGuid().ToString()[..4]}";
    }
}
