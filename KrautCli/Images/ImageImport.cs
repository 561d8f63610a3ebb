using System.CommandLine;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;
using KrautCli.Resources;

namespace KrautCli.Images;

/// <summary><c>kraut image import URL --name N [--sha256 X] [--wait]</c>: the portal downloads the content itself.</summary>
public static class ImageImport
{
    public static Command Build(KindDef kind)
    {
        var url = new Argument<string>("URL") { Description = "A public http(s) URL of the disk image or ISO." };
        var name = new Option<string>("--name") { Description = "The image's name.", Required = true };
        var sha256 = new Option<string?>("--sha256") { Description = "The content's SHA-256; the portal refuses content that does not match." };
        var os = new Option<string?>("--os") { Description = "spec.osName, e.g. debian-12." };
        var command = new Command("import", "Create an image whose content the portal downloads from a URL.")
        {
            url, name, sha256, os, ResourceCommands.Wait, ResourceCommands.Timeout,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var spec = new JsonObject { ["architecture"] = "x86_64" };
            if (parse.GetValue(os) is { } osName) spec["osName"] = osName;
            var body = new JsonObject { ["name"] = parse.GetValue(name), ["metadata"] = new JsonObject(), ["spec"] = spec };
            var created = await session.Http.ChangeAsync(HttpMethod.Post, Routes.Create(kind.Name), body, ct);
            var id = (string?)created?.Body?["id"] ?? "{new image's id}";
            var import = new JsonObject { ["url"] = parse.GetValue(url) };
            if (parse.GetValue(sha256) is { } sum) import["sha256"] = sum;
            ApiResponse? started;
            try
            {
                started = await session.Http.ChangeAsync(HttpMethod.Post, Routes.ImageImport(id), import, ct);
            }
            catch (CliException) when (created is not null)
            {
                // A refused URL leaves no empty image behind under the name the user will try again with.
                await session.Http.ChangeAsync(HttpMethod.Delete, Routes.One(kind.Name, id), null, CancellationToken.None);
                throw;
            }
            if (started is null) return ExitCodes.Done;
            var image = (JsonObject)started.Body!;
            if (parse.GetValue(ResourceCommands.Wait))
                image = await Waiter.UntilSettledAsync(session.Http, kind, id, (long)image["version"]!, Waiter.ParseTimeout(parse.GetValue(ResourceCommands.Timeout)), ct);
            session.Printer.One(kind, image);
            return ExitCodes.Done;
        });
        return command;
    }
}
