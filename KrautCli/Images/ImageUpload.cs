using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Http;
using KrautCli.Resources;

namespace KrautCli.Images;

/// <summary>
/// <c>kraut image upload FILE --name N</c>: creates the image (or continues the one of that name still uploading, or
/// <c>--resume ID</c>), asks the portal how much of the content it holds (HEAD …/content), sends the rest with
/// Content-Range and the file's SHA-256 (the portal refuses content that does not match), and compares the checksum
/// the portal reports with the local one.
/// </summary>
public static class ImageUpload
{
    private static readonly Argument<string> FileArgument = new("FILE") { Description = "The disk image (qcow2, raw, vmdk, vhdx, vdi) or ISO." };
    private static readonly Option<string> Name = new("--name") { Description = "The image's name.", Required = true };
    private static readonly Option<string?> Format = new("--format")
    {
        Description = "What the file should be (qcow2, raw, vmdk, vhdx, vdi, iso): checked against its first bytes before sending; the portal detects it anyway.",
    };
    private static readonly Option<string?> Resume = new("--resume") { Description = "Continue the upload to this image id (default: the image named --name, if it is still uploading)." };
    private static readonly Option<string?> Os = new("--os") { Description = "spec.osName, e.g. debian-12." };
    private static readonly Option<string?> Arch = new("--arch") { Description = "spec.architecture (default x86_64)." };
    private static readonly Option<long?> StopAfter = new("--stop-after-bytes") { Hidden = true, Description = "Break the connection after this byte (tests)." };

    private const int Attempts = 3;

    public static Command Build(KindDef kind)
    {
        var command = new Command("upload", "Upload a disk image or ISO with a progress bar; run it again to resume a cut upload.")
        {
            FileArgument, Name, Format, Resume, Os, Arch, StopAfter, ResourceCommands.Wait, ResourceCommands.Timeout,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var file = parse.GetValue(FileArgument)!;
            var info = new FileInfo(file);
            if (!info.Exists) throw CliException.Usage($"There is no file {file}.");
            if (info.Length == 0) throw CliException.Usage($"{file} is empty; there is nothing to upload.");
            if (parse.GetValue(Format) is { } format) SourceFormats.Ensure(file, format);

            var name = parse.GetValue(Name)!;
            var id = parse.GetValue(Resume) ?? await UploadingImageAsync(session, kind, name, ct);
            if (session.DryRun)
            {
                if (id is null) await session.Http.ChangeAsync(HttpMethod.Post, Routes.Create(kind.Name), Body(parse, name), ct);
                await session.Out.WriteLineAsync($"PUT {new Uri(session.Http.Remote.Url, Routes.ImageContent(id ?? "{new image's id}"))}\n"
                    + $"Content-Range: bytes <offset from HEAD>-{info.Length - 1}/{info.Length}\nX-Content-SHA256: <of {file}>\n\n<{info.Length} bytes of {file}>");
                return ExitCodes.Done;
            }
            if (id is null)
            {
                var created = await session.Http.ChangeAsync(HttpMethod.Post, Routes.Create(kind.Name), Body(parse, name), ct);
                id = (string)created!.Body!["id"]!;
            }
            else
            {
                await Console.Error.WriteLineAsync($"Continuing the upload to image {name} ({id}).");
            }

            var sha256 = await HashAsync(file, ct);
            var image = await SendAsync(session, id, file, info.Length, sha256, parse.GetValue(StopAfter), ct);
            if ((string?)image["status"]?["sha256"] is { } reported && !string.Equals(reported, sha256, StringComparison.OrdinalIgnoreCase))
                throw new CliException($"The portal holds content with SHA-256 {reported}, but {file} has {sha256}.", ExitCodes.Failed);
            if (parse.GetValue(ResourceCommands.Wait))
                image = await Waiter.UntilSettledAsync(session.Http, kind, id, (long)image["version"]!, Waiter.ParseTimeout(parse.GetValue(ResourceCommands.Timeout)), ct);
            session.Printer.One(kind, image);
            return ExitCodes.Done;
        });
        return command;
    }

    private static JsonObject Body(ParseResult parse, string name)
    {
        var spec = new JsonObject { ["architecture"] = parse.GetValue(Arch) ?? "x86_64" };
        if (parse.GetValue(Os) is { } os) spec["osName"] = os;
        return new JsonObject { ["name"] = name, ["metadata"] = new JsonObject(), ["spec"] = spec };
    }

    /// <summary>The id of the caller's image of that name if it still waits for (the rest of) its content; null to make a new one.</summary>
    private static async Task<string?> UploadingImageAsync(Session session, KindDef kind, string name, CancellationToken ct)
    {
        var same = (await Objects.ListAsync(session.Http, kind, null, null, ct)).Where(i => (string?)i?["name"] == name).ToList();
        var waiting = same.Where(i => (string?)i?["status"]?["phase"] is "uploading" or "awaitingContent").ToList();
        if (waiting.Count == 1) return (string)waiting[0]!["id"]!;
        if (same.Count == 0) return null;
        throw new CliException($"An image named '{name}' exists already (phase {(string?)same[0]?["status"]?["phase"]}); choose another --name, "
            + "or give --resume ID to continue an upload.", ExitCodes.Conflict);
    }

    private static async Task<string> HashAsync(string file, CancellationToken ct)
    {
        await using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    /// <summary>
    /// Sends what the portal lacks, from the offset it names; a connection that breaks is resumed from the new offset
    /// (a few times), the simulated break of --stop-after-bytes is not: it ends the run as a real cut would end a shell.
    /// </summary>
    private static async Task<JsonObject> SendAsync(Session session, string id, string file, long size, string sha256, long? stopAfter, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var offset = await OffsetAsync(session.Http, id, size, ct);
            try
            {
                return await TransferProgress.RunAsync($"Uploading {Path.GetFileName(file)}", size, offset, report => PutAsync(session.Http, id, file, offset, size, sha256, stopAfter, report, ct));
            }
            catch (Exception e) when (e is CliException { HttpStatus: null } || e is StoppedOnPurposeException)
            {
                var held = await OffsetAsync(session.Http, id, size, ct);
                if (e is StoppedOnPurposeException || attempt == Attempts)
                {
                    throw new CliException($"The upload broke off ({e.Message}); the portal holds {held} of {size} bytes. "
                        + $"Run the same command again to continue from there (or --resume {id}).", ExitCodes.Failed);
                }
                await Console.Error.WriteLineAsync($"The upload broke off ({e.Message}); continuing from byte {held}.");
            }
        }
    }

    /// <summary>HEAD …/content: where to continue. A portal that takes no content now (checking, ready) says why in its phase.</summary>
    private static async Task<long> OffsetAsync(KrautHttp http, string id, long size, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, Routes.ImageContent(id));
        using var response = await http.TransferAsync(request, ct, alsoAccept: 409);
        var phase = Header(response, "X-Image-Phase") ?? "?";
        if ((int)response.StatusCode == 409)
            throw new CliException($"Image {id} takes no content now: it is {phase}.", ExitCodes.Conflict, httpStatus: 409);
        var received = long.Parse(Header(response, "X-Bytes-Received") ?? "0", CultureInfo.InvariantCulture);
        if (Header(response, "X-Upload-Limit") is { } limitText && long.Parse(limitText, CultureInfo.InvariantCulture) is var limit && size > limit)
            throw CliException.Usage($"The file is {TransferProgress.Describe(size)}, but this portal takes images of at most {TransferProgress.Describe(limit)}.");
        if (Header(response, "X-Bytes-Expected") is { } expected && received > 0 && long.Parse(expected, CultureInfo.InvariantCulture) != size)
        {
            throw new CliException($"Image {id} was being uploaded with {expected} bytes, but this file has {size}: it is another file. "
                + "Give another --name (or delete the image) to start over.", ExitCodes.Conflict);
        }
        return received;
    }

    private static async Task<JsonObject> PutAsync(KrautHttp http, string id, string file, long offset, long size, string sha256, long? stopAfter,
        Action<long> report, CancellationToken ct)
    {
        var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        stream.Seek(offset, SeekOrigin.Begin);
        var counting = new CountingStream(stream, offset, report, stopAfter);
        using var content = new StreamContent(counting, 1 << 20);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = size - offset;
        content.Headers.ContentRange = new ContentRangeHeaderValue(offset, size - 1, size);
        using var request = new HttpRequestMessage(HttpMethod.Put, Routes.ImageContent(id)) { Content = content };
        request.Headers.TryAddWithoutValidation("X-Content-SHA256", sha256);
        try
        {
            using var response = await http.TransferAsync(request, ct);
            return (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        }
        catch (CliException) when (counting.StoppedAt is { } at)
        {
            throw new StoppedOnPurposeException(at);
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
