using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Cli;

/// <summary><c>kraut KIND edit</c>: $EDITOR (a small script here) edits the YAML; saving uses If-Match.</summary>
[Collection(CliCollection.Name)]
public sealed class CliEditTests(CliPortal portal)
{
    /// <summary>An editor script: optionally a concurrent change through kraut itself, then a sed on the file.</summary>
    private string Editor(string name, string sed, string? concurrent = null)
    {
        var script = Path.Combine(portal.ConfigHome, $"editor-{Guid.NewGuid():N}.sh");
        File.WriteAllText(script, "#!/bin/sh\nset -e\n"
            + (concurrent is null ? "" : $"'{CliPortal.Executable}' machine-type patch {name} --set {concurrent} >/dev/null\n")
            + $"sed -i '{sed}' \"$1\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    private async Task<string> MachineTypeAsync()
    {
        var name = ApiClient.UniqueName("edit");
        var file = Path.Combine(portal.ConfigHome, $"{name}.yaml");
        await File.WriteAllTextAsync(file, $"""
            name: {name}
            metadata:
              tier: bronze
            spec:
              architecture: x86_64
              vcpus: {"{"}default: 1, min: 1, max: 2{"}"}
              memoryMiB: {"{"}default: 256, min: 128, max: 512{"}"}
            """);
        await portal.ExpectAsync(0, "machine-type", "create", "-f", file);
        File.Delete(file);
        return name;
    }

    private async Task<JsonNode> GetAsync(string name) =>
        JsonNode.Parse((await portal.ExpectAsync(0, "machine-type", "get", name, "-o", "json")).Out)!;

    [Fact]
    public async Task Edit_SavesTheEditedYaml_WithIfMatch()
    {
        var name = await MachineTypeAsync();
        try
        {
            var editor = Editor(name, "s/tier: bronze/tier: silver/");
            var run = await portal.RunAsync(["machine-type", "edit", name], new Dictionary<string, string> { ["EDITOR"] = editor });

            Assert.True(run.ExitCode == 0, run.ToString());
            var saved = await GetAsync(name);
            Assert.Equal("silver", (string?)saved["metadata"]!["tier"]);
            Assert.Equal(2, (long)saved["version"]!);
            Assert.Equal(256, (long)saved["spec"]!["memoryMiB"]!["default"]!);
        }
        finally
        {
            await portal.RunAsync("machine-type", "delete", name, "--yes");
        }
    }

    [Fact]
    public async Task Patch_Set_TakesNumbersAsNumbers_AndNullRemovesAKey()
    {
        var name = await MachineTypeAsync();
        try
        {
            await portal.ExpectAsync(0, "machine-type", "patch", name, "--set", "spec.memoryMiB.default=384", "--set", "metadata.tier=null", "--set", "metadata.note=512");

            var patched = await GetAsync(name);
            Assert.Equal(384, (long)patched["spec"]!["memoryMiB"]!["default"]!);
            Assert.Null(patched["metadata"]!["tier"]);
            Assert.Equal(2, (long)patched["version"]!);
            await portal.ExpectAsync(2, "machine-type", "patch", name, "--set", "no-equals-sign");
        }
        finally
        {
            await portal.RunAsync("machine-type", "delete", name, "--yes");
        }
    }

    [Fact]
    public async Task Edit_WithAConcurrentChange_IsAConflict_Exit4_AndSavesNothing()
    {
        var name = await MachineTypeAsync();
        try
        {
            var editor = Editor(name, "s/tier: bronze/tier: silver/", concurrent: "metadata.owner=someone-else");
            var run = await portal.RunAsync(["machine-type", "edit", name], new Dictionary<string, string> { ["EDITOR"] = editor });

            Assert.True(run.ExitCode == 4, run.ToString());
            Assert.Contains($"Conflict: machine type {name} was changed by someone else after you opened it (you edited version 1)", run.Err, StringComparison.Ordinal);
            var kept = System.Text.RegularExpressions.Regex.Match(run.Err, @"your edit is kept in (\S+\.yaml)").Groups[1].Value;
            Assert.Contains("tier: silver", await File.ReadAllTextAsync(kept), StringComparison.Ordinal);
            File.Delete(kept);
            var current = await GetAsync(name);
            Assert.Equal("bronze", (string?)current["metadata"]!["tier"]);
            Assert.Equal("someone-else", (string?)current["metadata"]!["owner"]);
        }
        finally
        {
            await portal.RunAsync("machine-type", "delete", name, "--yes");
        }
    }
}
