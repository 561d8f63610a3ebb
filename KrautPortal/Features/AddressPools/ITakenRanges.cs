using System.Net;

namespace KrautPortal.Features.AddressPools;

/// <summary>
/// The ranges a suggestion must avoid: other networks' subnets and prefixes, and what the host uses itself. Address
/// pools sit below networks and never read them: the network feature answers (Networks/NetworkTakenRanges.cs).
/// </summary>
public interface ITakenRanges
{
    Task<IReadOnlyList<IPNetwork>> TakenAsync(CancellationToken ct);
}
