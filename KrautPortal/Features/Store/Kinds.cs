namespace KrautPortal.Features.Store;

/// <summary>How a kind is named in URLs and in sentences.</summary>
public sealed record KindInfo(string Name, string Singular, string Plural);

public static class Kinds
{
    public static readonly KindInfo MachineTypes = new("machine-types", "machine type", "machine types");
    public static readonly KindInfo Images = new("images", "image", "images");
    public static readonly KindInfo Networks = new("networks", "network", "networks");
    public static readonly KindInfo Vms = new("vms", "VM", "VMs");
    public static readonly KindInfo Tokens = new("tokens", "token", "tokens");
    public static readonly KindInfo AddressPools = new("address-pools", "address pool", "address pools");
    public static readonly KindInfo Firewalls = new("firewalls", "firewall", "firewalls");
    public static readonly KindInfo Routers = new("routers", "router", "routers");
    public static readonly KindInfo Snapshots = new("snapshots", "snapshot", "snapshots");
    public static readonly KindInfo Backups = new("backups", "backup", "backups");
    public static readonly KindInfo BackupSchedules = new("backup-schedules", "backup schedule", "backup schedules");

    public static readonly IReadOnlyList<KindInfo> All = [MachineTypes, Images, Networks, Vms, Tokens, AddressPools, Firewalls, Routers, Snapshots, Backups, BackupSchedules];

    public static string Singular(string kind) => All.FirstOrDefault(k => k.Name == kind)?.Singular ?? kind;
}
