using System.Security.Cryptography;
using System.Text;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;

namespace KrautPortal.Tests.Support;

/// <summary>
/// The god-like token every test portal is configured with (by hash, as an operator would), so tests that are
/// not about authentication act as an administrator through the real authentication pipeline.
/// </summary>
public static class TestCredentials
{
    public const string GodToken = "kraut-tests-god-token-3f9c2e";
    public static readonly string GodTokenSha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(GodToken)));
    public const string GodHeader = "Bearer " + GodToken;

    /// <summary>Who the god token acts as: what history records as the author, and owns what it creates.</summary>
    public const string GodActor = "god:tests";

    public static IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("Auth:GodTokens:0:Name", "tests"),
        new("Auth:GodTokens:0:Sha256", GodTokenSha256),
    ];

    /// <summary>An administrator for code that calls services directly, outside any request.</summary>
    public static readonly Actor Admin = new("test-admin", IsAdmin: true, [], Via: "tests");
}
