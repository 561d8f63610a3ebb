namespace KrautPortal.Features.Hosts;

/// <summary>What the wizard says about an architecture: which hosts run it and how (natively, emulated and slow), or why none does.</summary>
public static class ArchitectureNotes
{
    /// <summary>One phrase per host, e.g. "runs emulated on qemu:///system: slow".</summary>
    public static IReadOnlyList<string> For(HostRegistry hosts, string arch) =>
        hosts.Hosts.Select(h => h.ArchitectureSupport(arch)).Zip(hosts.Hosts, (support, host) => support switch
        {
            { Kind: ArchitectureSupportKind.Native } => $"runs natively on {host.Uri}",
            { Kind: ArchitectureSupportKind.Emulated, CanRun: true } => $"runs emulated on {host.Uri}: slow",
            _ => support.Reason,
        }).ToList();

    /// <summary>True when no host may run <paramref name="arch"/>: the wizard marks the machine type so.</summary>
    public static bool NoneCanRun(HostRegistry hosts, string arch) => hosts.WhyCannotRun(arch) is not null;
}
