namespace KrautPortal.Features.Networks.Ipam;

/// <summary>One address held by one NIC. The key (network, address) is what makes two NICs never share an address.</summary>
public sealed class IpAllocationRow
{
    public Guid NetworkId { get; set; }
    public string Address { get; set; } = "";
    public int Family { get; set; }
    public Guid NicId { get; set; }
    public Guid VmId { get; set; }
}

/// <summary>One MAC held by one NIC, unique across all networks (a VM may bridge two of them).</summary>
public sealed class MacAllocationRow
{
    public string Mac { get; set; } = "";
    public Guid NicId { get; set; }
    public Guid VmId { get; set; }
}
