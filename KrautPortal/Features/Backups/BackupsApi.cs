using System.Text.Json.Nodes;
using KrautPortal.Features.Api;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Backups;

/// <summary>
/// <c>/api/v1/backups</c> (the generic kind API, plus restore and download) and <c>/api/v1/vms/{id}/backups</c> (list and
/// take a VM's backups). Every path reads the backup or VM through the store first, so it answers as a GET would.
/// </summary>
public static class BackupsApi
{
    public static void MapBackups(this IEndpointRouteBuilder app)
    {
        var group = app.MapResourceApi<BackupSpec, BackupStatus>(Kinds.Backups);
        group.MapPost("/{id}/restore", RestoreNew).WithName("RestoreBackupIntoNewVm").Accepts<RestoreRequest>("application/json")
            .WithSummary("Make a new VM from the backup (its chain verified and flattened): name required; machineTypeId, networkIds and metadata "
                + "default to the backed-up VM's; start: false leaves it stopped. Returns the VM; its disk is made when it is built.");
        group.MapPost("/{id}/restore-over", RestoreOver).WithName("RestoreBackupOverVm")
            .WithSummary("Replace the stopped VM's disk with the backup's content (409 while it runs). Its checkpoints go; the next backup is full.");
        group.MapGet("/{id}/download", Download).WithName("DownloadBackup")
            .WithSummary("The backup as one standalone qcow2 (an incremental chain flattened first), streamed.");
        var vms = app.MapGroup("/api/v1/vms/{id}/backups").WithTags("backups");
        vms.MapGet("/", ListForVm).WithName("ListVmBackups").WithSummary("The VM's backups, newest first, and their total size.");
        vms.MapPost("/", CreateForVm).WithName("BackUpVm").Accepts<BackupSpec>("application/json")
            .WithSummary("Back the VM up now: {kind: full|incremental (default: incremental when a checkpoint allows), note}. Returns at once; watch status.phase and status.bytesDone.");
    }

    public sealed record VmBackups(IReadOnlyList<Resource<BackupSpec, BackupStatus>> Items, long TotalSizeBytes);

    public static async Task<Ok<VmBackups>> ListForVm(ResourceService<VmSpec, VmStatus> vms, ResourceService<BackupSpec, BackupStatus> backups, KindReader reader,
        string id, CancellationToken ct)
    {
        var vm = await vms.GetAsync(ApiIds.Parse(id), ct);
        var items = await BackupsOfVisibleVmAsync(backups, reader, vm.Id, ct);
        return TypedResults.Ok(new VmBackups(items, items.Sum(b => b.Status.SizeBytes ?? 0)));
    }

    /// <summary>The VM's backups, each read through the service (the caller saw the VM; its backups are its owner's).</summary>
    public static async Task<IReadOnlyList<Resource<BackupSpec, BackupStatus>>> BackupsOfVisibleVmAsync(ResourceService<BackupSpec, BackupStatus> backups,
        KindReader reader, Guid vmId, CancellationToken ct)
    {
        var result = new List<Resource<BackupSpec, BackupStatus>>();
        foreach (var b in (await BackupRules.OfVmAsync(reader, vmId, ct)).OrderByDescending(b => b.CreatedAt))
            if (await backups.FindAsync(b.Id, ct) is { } shown) result.Add(shown);
        return result;
    }

    public static async Task<Created<Resource<BackupSpec, BackupStatus>>> CreateForVm(ResourceService<VmSpec, VmStatus> vms,
        ResourceService<BackupSpec, BackupStatus> backups, TimeProvider time, string id, HttpContext http, CancellationToken ct)
    {
        var vm = await vms.GetAsync(ApiIds.Parse(id), ct);
        BackupKind? kind = null;
        string? note = null;
        if (http.Request.ContentLength is not 0 && http.Request.HasJsonContentType())
        {
            var body = await JsonBodyReader.ReadObjectAsync(http.Request, ct);
            var errors = new ValidationErrors();
            foreach (var (key, value) in body)
            {
                if (key == "kind" && value is JsonValue k && k.TryGetValue<string>(out var text) && Enum.TryParse<BackupKind>(text, true, out var parsed)) kind = parsed;
                else if (key == "kind" && value is not null) errors.Add("kind", "kind is full or incremental (or absent: incremental when a checkpoint allows).");
                else if (key == "note" && value is JsonValue n && n.TryGetValue<string>(out var noteText)) note = noteText;
                else if (key is not ("kind" or "note")) errors.Add(key, "This field is not known; send kind and note, or nothing.");
            }
            errors.ThrowIfAny();
        }
        var created = await backups.CreateAsync(NewBackup(vm, kind, note, time), ct);
        http.Response.Headers.ETag = ETags.For(created.Version);
        return TypedResults.Created($"/api/v1/backups/{created.Id}", created);
    }

    /// <summary>
    /// A backup of <paramref name="vm"/> named after it and the time, owned by the VM's owner, with the VM's metadata (so a
    /// token limited to a selector that reaches the VM reaches its backups too).
    /// </summary>
    public static ResourceInput<BackupSpec> NewBackup(Resource<VmSpec, VmStatus> vm, BackupKind? kind, string? note, TimeProvider time)
    {
        var stamp = time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmmss-fff", System.Globalization.CultureInfo.InvariantCulture);
        var prefix = (vm.Name.Length > 40 ? vm.Name[..40] : vm.Name).TrimEnd('-', '.');
        return new ResourceInput<BackupSpec>($"{prefix}-{stamp}", vm.Metadata.DeepClone().AsObject(),
            new BackupSpec { VmId = vm.Id, Kind = kind, Note = note }, Owner: vm.Owner);
    }

    public static async Task<Created<Resource<VmSpec, VmStatus>>> RestoreNew(BackupRestores restores, string id, HttpContext http, CancellationToken ct)
    {
        var body = await JsonBodyReader.ReadObjectAsync(http.Request, ct);
        var errors = new ValidationErrors();
        string? name = null;
        Guid? machineType = null;
        List<Guid>? networks = null;
        JsonObject? metadata = null;
        var start = true;
        foreach (var (key, value) in body)
        {
            switch (key)
            {
                case "name" when value is JsonValue v && v.TryGetValue<string>(out var text): name = text; break;
                case "machineTypeId" when value is JsonValue v && v.TryGetValue<string>(out var text) && Guid.TryParse(text, out var g): machineType = g; break;
                case "networkIds" when value is JsonArray a && a.All(x => x is JsonValue xv && xv.TryGetValue<string>(out var s) && Guid.TryParse(s, out _)):
                    networks = a.Select(x => Guid.Parse(x!.GetValue<string>())).ToList(); break;
                case "metadata" when value is JsonObject o: metadata = o.DeepClone().AsObject(); break;
                case "start" when value is JsonValue v && v.TryGetValue<bool>(out var b): start = b; break;
                case "name" or "machineTypeId" or "networkIds" or "metadata" or "start":
                    errors.Add(key, "name is a string, machineTypeId an id, networkIds a list of ids, metadata an object, start true or false."); break;
                default: errors.Add(key, "This field is not known; send name and optionally machineTypeId, networkIds, metadata and start."); break;
            }
        }
        if (string.IsNullOrWhiteSpace(name)) errors.Add("name", "The new VM needs a name.");
        errors.ThrowIfAny();
        var vm = await restores.RestoreNewAsync(ApiIds.Parse(id), new RestoreRequest(name!, machineType, networks, metadata, start), ct);
        http.Response.Headers.ETag = ETags.For(vm.Version);
        return TypedResults.Created($"/api/v1/vms/{vm.Id}", vm);
    }

    public static async Task<Ok<Resource<VmSpec, VmStatus>>> RestoreOver(BackupRestores restores, string id, CancellationToken ct) =>
        TypedResults.Ok(await restores.RestoreOverAsync(ApiIds.Parse(id), ct));

    /// <summary>A full backup is its own file; a chain is flattened into a temporary file first, removed when the response ends.</summary>
    public static async Task<IResult> Download(ResourceService<BackupSpec, BackupStatus> backups, KindReader reader, BackupFiles files, string id, CancellationToken ct)
    {
        var backup = await backups.GetAsync(ApiIds.Parse(id), ct);
        var chain = await BackupFiles.VerifiedChainAsync(backup, b => reader.FindAsync<BackupSpec, BackupStatus>(Kinds.Backups, b, ct), ct);
        var name = backup.Name + ".qcow2";
        if (chain.Count == 1)
            return TypedResults.Stream(new FileStream(backup.Status.File!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true),
                "application/octet-stream", name);
        var flat = Path.Combine(files.Root, $"download-{Guid.NewGuid():N}.qcow2");
        try
        {
            await BackupFiles.FlattenAsync(chain, flat, null, ct);
            return TypedResults.Stream(new FileStream(flat, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 20,
                FileOptions.Asynchronous | FileOptions.DeleteOnClose), "application/octet-stream", name);
        }
        catch
        {
            File.Delete(flat);
            throw;
        }
    }
}
