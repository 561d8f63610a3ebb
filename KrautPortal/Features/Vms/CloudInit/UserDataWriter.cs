using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KrautPortal.Features.Vms.CloudInit;

/// <summary>
/// The seed's user-data from what the user wrote and their SSH keys:
/// nothing written → a #cloud-config with ssh_authorized_keys;
/// a #cloud-config → the same document with the keys added to its ssh_authorized_keys (re-emitted, so comments go);
/// anything else (a #! script, #include, MIME) → kept byte for byte; the keys reach the guest through
/// meta-data's public-keys, which cloud-init installs for the default user just the same.
/// </summary>
public static class UserDataWriter
{
    public const string CloudConfigHeader = "#cloud-config";
    public const int MaxLength = 64 * 1024;

    public static string Write(string? userData, IReadOnlyList<string> keys)
    {
        if (string.IsNullOrWhiteSpace(userData))
            return keys.Count == 0 ? CloudConfigHeader + "\n{}\n" : CloudConfigHeader + "\n" + Yaml.Write(new YamlMappingNode { { "ssh_authorized_keys", Yaml.Strings(keys) } });
        if (!IsCloudConfig(userData) || keys.Count == 0) return userData;

        var root = Parse(userData) ?? new YamlMappingNode();
        if (root is not YamlMappingNode mapping) return userData;
        var key = new YamlScalarNode("ssh_authorized_keys");
        if (!mapping.Children.TryGetValue(key, out var existing) || existing is not YamlSequenceNode list)
        {
            list = new YamlSequenceNode();
            mapping.Children[key] = list;
        }
        var present = list.Children.OfType<YamlScalarNode>().Select(s => s.Value?.Trim()).ToHashSet();
        foreach (var k in keys.Where(k => !present.Contains(k))) list.Add(Yaml.Str(k));
        return CloudConfigHeader + "\n" + Yaml.Write(mapping);
    }

    public static bool IsCloudConfig(string userData) =>
        userData.TrimStart('\uFEFF').StartsWith(CloudConfigHeader, StringComparison.Ordinal);

    /// <summary>Why a #cloud-config cannot be used (not YAML, or not a mapping), or null when it can.</summary>
    public static string? Problem(string userData)
    {
        if (!IsCloudConfig(userData)) return null;
        try
        {
            var root = Parse(userData);
            return root is null or YamlMappingNode ? null : "A #cloud-config must be a YAML mapping (key: value lines).";
        }
        catch (YamlException e)
        {
            return $"The #cloud-config is not valid YAML: {e.Message} (line {e.Start.Line}).";
        }
    }

    private static YamlNode? Parse(string userData)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(userData.TrimStart('\uFEFF')));
        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
    }
}
