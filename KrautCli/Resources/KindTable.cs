namespace KrautCli.Resources;

/// <summary>A table column: its header and the JSON path of its value (<c>status.phase</c>).</summary>
public sealed record Column(string Header, string Path);

/// <summary>A kind the API serves under <c>/api/v1/{Name}</c>, the command that names it, and its table columns.</summary>
public sealed record KindDef(string Name, string Command, string Singular, IReadOnlyList<Column> Columns)
{
    private static readonly Column[] WideExtra = [new("ID", "id"), new("OWNER", "owner"), new("VERSION", "version"), new("METADATA", "metadata")];

    public IReadOnlyList<Column> WideColumns => [.. Columns, .. WideExtra];
}

/// <summary>
/// The one list of kinds the CLI knows; a test compares it with the kinds the portal's OpenAPI document serves,
/// so a kind added to the API without a line here fails the build's tests.
/// </summary>
public static class KindTable
{
    private static readonly Column Name = new("NAME", "name");
    private static readonly Column Phase = new("PHASE", "status.phase");

    public static readonly IReadOnlyList<KindDef> All =
    [
        new("vms", "vm", "VM", [Name, Phase, new("POWER", "spec.power"), new("VCPUS", "spec.vcpus"), new("MEMORY", "spec.memoryMiB"), new("HOST", "status.host")]),
        new("images", "image", "image", [Name, Phase, new("ARCH", "spec.architecture"), new("OS", "spec.osName")]),
        new("networks", "network", "network", [Name, Phase, new("IPV4", "spec.ipv4Cidr"), new("IPV6", "spec.ipv6Cidr")]),
        new("machine-types", "machine-type", "machine type", [Name, new("ARCH", "spec.architecture"), new("VCPUS", "spec.vcpus.default"), new("MEMORY", "spec.memoryMiB.default")]),
        new("tokens", "token", "token", [Name, new("VERBS", "spec.verbs"), new("KINDS", "spec.kinds"), new("SELECTOR", "spec.selector"), new("EXPIRES", "spec.expiresAt")]),
        new("address-pools", "address-pool", "address pool", [Name, new("IPV4", "spec.ipv4"), new("IPV6", "spec.ipv6")]),
        new("firewalls", "firewall", "firewall", [Name, Phase]),
        new("routers", "router", "router", [Name, Phase, new("NETWORK", "spec.networkId")]),
        new("snapshots", "snapshot", "snapshot", [Name, Phase, new("VM", "spec.vmId")]),
        new("backups", "backup", "backup", [Name, Phase, new("VM", "spec.vmId")]),
        new("backup-schedules", "backup-schedule", "backup schedule", [Name, new("SELECTOR", "spec.selector"), new("EVERY", "spec.every"), new("KEEP", "spec.keep")]),
    ];

    /// <summary>The kind named as a command (<c>vm</c>), its plural (<c>vms</c>) or its API name.</summary>
    public static KindDef? Find(string name) =>
        All.FirstOrDefault(k => k.Name == name || k.Command == name || k.Command + "s" == name);
}
