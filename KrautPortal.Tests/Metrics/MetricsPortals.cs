using System.Security.Cryptography;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Metrics;

/// <summary>
/// A portal on real Kestrel (test driver) with a metrics token, whose allow list holds only a documentation range: from
/// loopback, only the token opens <c>/metrics</c>. The usage sampler runs every second.
/// </summary>
public sealed class TokenMetricsPortal() : KestrelPortal(new Dictionary<string, string?>
{
    ["Metrics:Token"] = Token,
    ["Metrics:AllowFrom:0"] = AllowedRange,
    // The usage sampler's snapshot is what the per-domain figures come from: a fresh one every second.
    ["Usage:IntervalSeconds"] = "1",
})
{
    public static readonly string Token = "metrics-" + RandomNumberGenerator.GetHexString(32, lowercase: true);
    public const string AllowedRange = "192.0.2.0/24";
}

/// <summary>
/// A portal behind a (pretended) reverse proxy on 127.0.0.1 that it trusts, with the default allow list (loopback) and no
/// metrics token: the client the proxy names decides.
/// </summary>
public sealed class ProxiedMetricsPortal() : KestrelPortal(new Dictionary<string, string?>
{
    ["Kraut:TrustedProxies:0"] = "127.0.0.1",
});
