namespace KrautPortal.Hypervisor;

/// <summary>What Kraut stores inside a domain's &lt;metadata&gt; to map it back to its VM record.</summary>
public sealed record KrautDomainMetadata(Guid VmId, string InstanceId, string VmName, long SpecVersion)
{
    public const string NamespaceUri = "https://kraut.computing/ns/domain/1";
    public const string Prefix = "kraut";
}
