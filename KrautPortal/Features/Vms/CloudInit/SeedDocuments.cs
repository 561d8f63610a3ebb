using System.Security.Cryptography;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace KrautPortal.Features.Vms.CloudInit;

/// <summary>The files of a cloud-init NoCloud seed, as they go onto the cidata CD.</summary>
public sealed record SeedDocuments(string MetaData, string UserData, string NetworkConfig)
{
    public IEnumerable<(string Name, string Content)> Files =>
        [("meta-data", MetaData), ("user-data", UserData), ("network-config", NetworkConfig)];

    /// <summary>Changes whenever any file does: the seed on disk is rewritten only then.</summary>
    public string Hash
    {
        get
        {
            var text = string.Join("\0", Files.Select(f => f.Name + "\0" + f.Content));
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        }
    }

    public static SeedDocuments For(Guid vmId, string vmName, VmSpec spec, IReadOnlyList<SeedNic> nics)
    {
        var meta = new YamlMappingNode
        {
            // The VM's id: cloud-init runs its once-per-instance steps (keys, user scripts) once per VM.
            { "instance-id", Yaml.Str(vmId.ToString("D")) },
            { "local-hostname", Yaml.Str(GuestHostname.For(spec, vmName, vmId)) },
        };
        if (spec.SshAuthorizedKeys.Count > 0) meta.Add("public-keys", Yaml.Strings(spec.SshAuthorizedKeys));
        return new SeedDocuments(
            Yaml.Write(meta),
            UserDataWriter.Write(spec.UserData, spec.SshAuthorizedKeys),
            NetworkConfigWriter.Write(nics));
    }

    /// <summary>
    /// A router VM's seed: its host name and network legs, and nothing from users (no keys, no user-data). Geek mode's
    /// keys reach the router through its agent, so they can change without a reboot.
    /// </summary>
    public static SeedDocuments ForRouter(Guid vmId, string vmName, VmSpec spec, IReadOnlyList<SeedNic> nics)
    {
        var meta = new YamlMappingNode
        {
            { "instance-id", Yaml.Str(vmId.ToString("D")) },
            { "local-hostname", Yaml.Str(GuestHostname.For(spec, vmName, vmId)) },
        };
        return new SeedDocuments(Yaml.Write(meta), UserDataWriter.Write(null, []), NetworkConfigWriter.Write(nics));
    }
}
