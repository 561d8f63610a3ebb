using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;
using KrautCli.Output;

namespace KrautCli.Resources;

/// <summary>
/// <c>kraut KIND edit NAME</c>: name, metadata and spec as YAML in $EDITOR, saved with If-Match on the version read,
/// so a change made by someone else meanwhile is refused (exit 4) instead of overwritten.
/// </summary>
public static class EditCommand
{
    public static Command For(KindDef kind)
    {
        var name = new Argument<string>("NAME") { Description = "Name or id." };
        var command = new Command("edit", $"Edit a {kind.Singular} in $EDITOR (saved only if nobody changed it meanwhile).") { name };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var current = await Objects.GetAsync(session.Http, kind, parse.GetValue(name)!, ct);
            var id = (string)current["id"]!;
            var version = (long)current["version"]!;
            var editable = new JsonObject
            {
                ["name"] = current["name"]?.DeepClone(),
                ["metadata"] = current["metadata"]?.DeepClone(),
                ["spec"] = current["spec"]?.DeepClone(),
            };
            var file = Path.Combine(Path.GetTempPath(), $"kraut-edit-{kind.Command}-{id}.yaml");
            var header = $"# {kind.Singular} {(string?)current["name"]}, version {version}. Save and quit to apply; an unchanged file changes nothing.\n";
            await File.WriteAllTextAsync(file, header + Yaml.From(editable), ct);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await RunEditorAsync(file, ct);

            var edited = Yaml.Parse(await File.ReadAllTextAsync(file, ct), file) as JsonObject
                ?? throw CliException.Usage($"{file} must hold one object (name, metadata, spec); your text is kept there.");
            if (JsonNode.DeepEquals(edited, editable))
            {
                File.Delete(file);
                await Console.Error.WriteLineAsync("Edit cancelled: nothing changed.");
                return ExitCodes.Done;
            }
            try
            {
                var saved = await session.Http.ChangeAsync(HttpMethod.Put, Routes.One(kind.Name, id), edited, ct, ifMatch: version);
                File.Delete(file);
                if (saved is not null) session.Printer.One(kind, saved.Body);
                return ExitCodes.Done;
            }
            catch (CliException e) when (e.HttpStatus == 412)
            {
                throw new CliException($"Conflict: {kind.Singular} {(string?)current["name"]} was changed by someone else after you opened it (you edited version {version}). "
                    + $"Nothing was saved; your edit is kept in {file}. Run `kraut {kind.Command} edit {(string?)current["name"]}` again to start from the current version.",
                    ExitCodes.Conflict, httpStatus: 412);
            }
            catch (CliException e)
            {
                throw new CliException(e.Message + $" (your edit is kept in {file})", e.ExitCode, e.Details, e.HttpStatus);
            }
        });
        return command;
    }

    /// <summary>$VISUAL, else $EDITOR, else vi; through the shell, so an editor with arguments ("code --wait") works.</summary>
    private static async Task RunEditorAsync(string file, CancellationToken ct)
    {
        var editor = Environment.GetEnvironmentVariable("VISUAL") is { Length: > 0 } visual ? visual
            : Environment.GetEnvironmentVariable("EDITOR") is { Length: > 0 } e ? e : "vi";
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var argument in new[] { "-c", editor + " \"$1\"", "sh", file }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new CliException($"Cannot start the editor '{editor}'.", ExitCodes.Failed);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new CliException($"The editor '{editor}' exited with {process.ExitCode}; nothing was saved (the text is in {file}).", ExitCodes.Failed);
    }
}
