using KrautPortal.Features.Tokens;

namespace KrautPortal.Features.Vms;

/// <summary>A token may be limited to VM actions (start, stop…) as well as the four verbs every kind has.</summary>
public sealed class VmTokenActions : ITokenActions
{
    public IReadOnlyList<string> Actions => VmOperations.Actions;
}
