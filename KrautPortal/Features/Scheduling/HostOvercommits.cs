using System.Text.Json.Serialization;

namespace KrautPortal.Features.Scheduling;

/// <summary>
/// Overcommit set at one level: the installation, or one host. A null field is not set there and falls through to the
/// next level (host → installation → the <c>Capacity</c> configuration).
/// </summary>
/// <param name="Cpu">vCPUs promised per physical CPU.</param>
/// <param name="Memory">Memory promised per byte present.</param>
/// <param name="Disk">Disk promised per byte of the filesystem holding VM disks.</param>
/// <param name="ReservedMemoryMiB">Memory kept for the host itself, off the memory ceiling.</param>
public sealed record OvercommitValues(double? Cpu = null, double? Memory = null, double? Disk = null, long? ReservedMemoryMiB = null)
{
    [JsonIgnore]
    public bool IsEmpty => Cpu is null && Memory is null && Disk is null && ReservedMemoryMiB is null;
}

/// <summary>One effective value and the level it comes from: <c>host</c>, <c>installation</c> or <c>default</c> (configuration).</summary>
public sealed record OvercommitSourced(double Value, string Source);

/// <summary>A host's effective overcommit, each value with where it comes from.</summary>
public sealed record EffectiveOvercommit(OvercommitSourced Cpu, OvercommitSourced Memory, OvercommitSourced Disk, OvercommitSourced ReservedMemoryMiB)
{
    public OvercommitOptions Options => new()
    {
        CpuOvercommit = Cpu.Value,
        MemoryOvercommit = Memory.Value,
        DiskOvercommit = Disk.Value,
        HostMemoryReserveMiB = (long)ReservedMemoryMiB.Value,
    };
}

/// <summary>
/// The one place that decides each host's overcommit: the host's own value ?? the installation's ?? the configuration's.
/// The scheduler's filters and weighers and the capacity figures all take their ceilings from <see cref="For"/>, so
/// "fits N more" and placement never disagree. Built once per decision (see <see cref="OvercommitSettings.ReadAsync"/>);
/// <see cref="For"/> is a dictionary lookup.
/// </summary>
public sealed class HostOvercommits
{
    public const string FromHost = "host";
    public const string FromInstallation = "installation";
    public const string FromDefault = "default";

    private readonly Dictionary<string, OvercommitOptions> _byHost;

    public HostOvercommits(OvercommitOptions defaults, OvercommitValues? installation = null, IReadOnlyDictionary<string, OvercommitValues>? hosts = null)
    {
        Defaults = defaults;
        Installation = installation ?? new OvercommitValues();
        Hosts = hosts ?? new Dictionary<string, OvercommitValues>(StringComparer.Ordinal);
        Everywhere = Explain(null).Options;
        _byHost = Hosts.ToDictionary(h => h.Key, h => Explain(h.Key).Options, StringComparer.Ordinal);
    }

    /// <summary>The <c>Capacity</c> configuration section: what applies where nothing is set at runtime.</summary>
    public OvercommitOptions Defaults { get; }

    /// <summary>What an administrator set for the whole installation.</summary>
    public OvercommitValues Installation { get; }

    /// <summary>What an administrator set for single hosts, by URI.</summary>
    public IReadOnlyDictionary<string, OvercommitValues> Hosts { get; }

    /// <summary>The effective values of a host with no values of its own (and of the shared disk pool in total).</summary>
    public OvercommitOptions Everywhere { get; }

    /// <summary>The effective overcommit of host <paramref name="uri"/>.</summary>
    public OvercommitOptions For(string uri) => _byHost.GetValueOrDefault(uri) ?? Everywhere;

    /// <summary>The effective values of host <paramref name="uri"/> (null: of a host with none of its own), each with its source.</summary>
    public EffectiveOvercommit Explain(string? uri)
    {
        var own = uri is null ? null : Hosts.GetValueOrDefault(uri);
        return new EffectiveOvercommit(
            Pick(own?.Cpu, Installation.Cpu, Defaults.CpuOvercommit),
            Pick(own?.Memory, Installation.Memory, Defaults.MemoryOvercommit),
            Pick(own?.Disk, Installation.Disk, Defaults.DiskOvercommit),
            Pick(own?.ReservedMemoryMiB, Installation.ReservedMemoryMiB, Defaults.HostMemoryReserveMiB));
    }

    /// <summary>These settings with host <paramref name="uri"/>'s own values replaced (a preview of a change).</summary>
    public HostOvercommits WithHost(string uri, OvercommitValues values)
    {
        var hosts = new Dictionary<string, OvercommitValues>(Hosts, StringComparer.Ordinal);
        if (values.IsEmpty) hosts.Remove(uri);
        else hosts[uri] = values;
        return new HostOvercommits(Defaults, Installation, hosts);
    }

    /// <summary>These settings with the installation's values replaced (a preview of a change).</summary>
    public HostOvercommits WithInstallation(OvercommitValues values) => new(Defaults, values, Hosts);

    /// <summary>Every host alike: the given ratios (tests, the benchmark's hand-made side, a store with nothing set).</summary>
    public static implicit operator HostOvercommits(OvercommitOptions everywhere) => new(everywhere);

    private static OvercommitSourced Pick(double? host, double? installation, double configured) =>
        host is { } h ? new(h, FromHost) : installation is { } i ? new(i, FromInstallation) : new(configured, FromDefault);

    private static OvercommitSourced Pick(long? host, long? installation, long configured) =>
        Pick((double?)host, installation, (double)configured);
}
