namespace KrautPortal.Hypervisor;

/// <summary>The network filter a NIC references (libvirt's &lt;filterref&gt;) and its parameters.</summary>
public sealed record NicFilter(string Name, IReadOnlyList<KeyValuePair<string, string>> Parameters)
{
    /// <summary>Same filter, same parameters; libvirt hands parameters back in its own order.</summary>
    public bool Equals(NicFilter? other) => other is not null && Name == other.Name
        && Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).SequenceEqual(other.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal));

    public override int GetHashCode() => HashCode.Combine(Name, Parameters.Count);
}
