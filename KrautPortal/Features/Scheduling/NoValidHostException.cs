using KrautPortal.Features.Api;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Scheduling;

/// <summary>
/// No host can take the VM: 409 (the request is fine; the hosts' state refuses it now), with every host's refusing filter
/// and sentence as the problem's <c>hosts</c>, so a person sees what to change instead of a bare "no valid host".
/// </summary>
public sealed class NoValidHostException(PlacementDecision decision)
    : KrautProblemException(409, "No valid host", decision.Explain()), IProblemFields
{
    public const string ProblemType = "https://kraut.example/problems/no-valid-host";

    public PlacementDecision Decision { get; } = decision;

    public IReadOnlyDictionary<string, object?> ProblemFields { get; } = new Dictionary<string, object?>
    {
        ["type"] = ProblemType,
        ["hosts"] = decision.Hosts,
    };
}
