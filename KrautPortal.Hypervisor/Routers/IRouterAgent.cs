namespace KrautPortal.Hypervisor.Routers;

/// <summary>
/// Talks to the agent inside a router VM over the domain's virtio-serial channel (a host-only Unix socket that QEMU
/// listens on), so the router never needs a network path to the portal. One request at a time per router.
/// The ruleset hash is SHA-256 of the UTF-8 ruleset text, lower-case hex: <see cref="RulesetHash.Of"/>.
/// </summary>
public interface IRouterAgent
{
    /// <summary>Checks (<c>nft -c</c>) then loads the ruleset atomically; returns the hash of what is now loaded.
    /// A refused ruleset throws <see cref="RouterAgentException"/> with nft's message; the previous one stays.</summary>
    Task<string> ApplyAsync(string socketPath, string ruleset, CancellationToken ct);

    /// <summary>The hash and text of the ruleset the agent last loaded, or null before the first load.</summary>
    Task<LoadedRuleset?> LoadedAsync(string socketPath, CancellationToken ct);

    /// <summary><c>nft -j list table inet kraut</c> as the router prints it (rules carry their counters).</summary>
    Task<string> CountersJsonAsync(string socketPath, CancellationToken ct);

    /// <summary>Every nftables table on the router as "family name" (e.g. "inet kraut", "inet mine").</summary>
    Task<IReadOnlyList<string>> TablesAsync(string socketPath, CancellationToken ct);

    /// <summary>Geek mode: the SSH server accepts these keys; an empty list stops it.</summary>
    Task SetSshKeysAsync(string socketPath, IReadOnlyList<string> authorizedKeys, CancellationToken ct);
}

public sealed record LoadedRuleset(string Hash, string Text);

public sealed class RouterAgentException(string message) : Exception(message);

public static class RulesetHash
{
    public static string Of(string ruleset) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(ruleset)));
}
