using System.CommandLine;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Resources;

namespace KrautCli.Vms;

/// <summary><c>kraut vm create NAME --image X --network Y --type Z</c>: the create body from flags, names resolved to ids.</summary>
public static class VmCreate
{
    private static readonly Argument<string?> Name = new("NAME") { Description = "The VM's name (with flags instead of -f).", Arity = ArgumentArity.ZeroOrOne };
    private static readonly Option<string?> Image = new("--image") { Description = "Image name or id." };
    private static readonly Option<string[]> Networks = new("--network") { Description = "Network name or id; repeat for more NICs." };
    private static readonly Option<string?> Type = new("--type") { Description = "Machine type name or id." };
    private static readonly Option<int?> Vcpus = new("--vcpus") { Description = "vCPUs (default: the machine type's)." };
    private static readonly Option<int?> Memory = new("--memory") { Description = "Memory in MiB (default: the machine type's)." };
    private static readonly Option<string[]> Meta = new("--meta") { Description = "Metadata key=value; repeat for more." };
    private static readonly Option<bool> Stopped = new("--stopped") { Description = "Create it without starting it." };

    public static void AddFlags(Command command)
    {
        command.Arguments.Add(Name);
        foreach (var option in new Option[] { Image, Networks, Type, Vcpus, Memory, Meta, Stopped }) command.Options.Add(option);
    }

    public static async Task<JsonObject> BodyAsync(Session session, ParseResult parse, string? file, CancellationToken ct)
    {
        var name = parse.GetValue(Name);
        if (file is not null)
        {
            if (name is not null) throw CliException.Usage("Give either -f file or NAME with --image, --network and --type, not both.");
            return Documents.Read(file);
        }
        if (name is null) throw CliException.Usage("Give NAME --image X --network Y --type Z, or -f vm.yaml.");
        var missing = new[] { ("--image", parse.GetValue(Image)), ("--type", parse.GetValue(Type)) }.Where(f => string.IsNullOrEmpty(f.Item2)).Select(f => f.Item1).ToList();
        if (missing.Count > 0) throw CliException.Usage($"kraut vm create {name} needs {string.Join(" and ", missing)}.");

        var spec = new JsonObject
        {
            ["imageId"] = await Objects.IdOfAsync(session.Http, "images", parse.GetValue(Image)!, ct),
            ["machineTypeId"] = await Objects.IdOfAsync(session.Http, "machine-types", parse.GetValue(Type)!, ct),
            ["nics"] = new JsonArray((await Task.WhenAll((parse.GetValue(Networks) ?? []).Select(n => Objects.IdOfAsync(session.Http, "networks", n, ct))))
                .Select(id => (JsonNode)new JsonObject { ["networkId"] = id }).ToArray()),
            ["power"] = parse.GetValue(Stopped) ? "stopped" : "running",
        };
        if (parse.GetValue(Vcpus) is { } vcpus) spec["vcpus"] = vcpus;
        if (parse.GetValue(Memory) is { } memory) spec["memoryMiB"] = memory;
        return new JsonObject { ["name"] = name, ["metadata"] = Metadata(parse.GetValue(Meta) ?? []), ["spec"] = spec };
    }

    private static JsonObject Metadata(IEnumerable<string> pairs)
    {
        var metadata = new JsonObject();
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw CliException.Usage($"--meta {pair}: write it as key=value.");
            metadata[pair[..equals]] = pair[(equals + 1)..];
        }
        return metadata;
    }
}
