using KrautPortal.Features.Api;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Quotas;

/// <summary>
/// A write that would take an owner past a quota: 409 (the request is fine, the owner's state forbids it now; freeing
/// something makes the same request succeed), with the quota, owner and figures as fields for scripts.
/// </summary>
public sealed class QuotaExceededException(QuotaMeasure measure, string owner, long used, long limit, long needed, string what)
    : KrautProblemException(409, "Quota exceeded", Sentence(measure, owner, used, limit, needed, what)), IProblemFields
{
    public const string ProblemType = "https://kraut.example/problems/quota-exceeded";

    public IReadOnlyDictionary<string, object?> ProblemFields { get; } = new Dictionary<string, object?>
    {
        ["type"] = ProblemType,
        ["quota"] = measure.Key,
        ["owner"] = owner,
        ["used"] = used,
        ["limit"] = limit,
        ["needed"] = needed,
        ["over"] = used + needed - limit,
    };

    /// <summary>"vCPU quota of alice exceeded: 14 of 16 in use, this VM needs 4 (2 over)".</summary>
    public static string Sentence(QuotaMeasure measure, string owner, long used, long limit, long needed, string what)
    {
        var over = used + needed - limit;
        var needs = needed > 0 ? $", {what} needs {measure.Format(needed)} ({measure.Format(over)} over)" : $", {what} needs room for more";
        return $"{measure.Label} quota of {owner} exceeded: {measure.Format(used)} of {measure.Format(limit)} in use{needs}.";
    }
}
