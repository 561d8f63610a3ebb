using KrautCli.Resources;

namespace KrautCli.Http;

/// <summary>
/// Every API route the CLI calls, in one place: commands build their paths only here, and <see cref="All"/> lists
/// the same routes as OpenAPI templates (`kraut api-routes`), which a test checks against the portal's document.
/// </summary>
public static class Routes
{
    public static string List(string kind) => $"/api/v1/{kind}";

    public static string Create(string kind) => $"/api/v1/{kind}";

    /// <summary>GET, PUT, PATCH and DELETE of one object.</summary>
    public static string One(string kind, string id) => $"/api/v1/{kind}/{Uri.EscapeDataString(id)}";

    public static string History(string kind, string id) => $"{One(kind, id)}/history";

    public static string Diff(string kind, string id, long from, long to) => $"{One(kind, id)}/diff?from={from}&to={to}";

    public static string Revert(string kind, string id) => $"{One(kind, id)}/revert";

    public static string VmAction(string id, string action) => $"{One("vms", id)}/actions/{Uri.EscapeDataString(action)}";

    public static string VmActionBySelector(string action, string selector) =>
        $"/api/v1/vms/actions/{Uri.EscapeDataString(action)}?selector={Uri.EscapeDataString(selector)}";

    /// <summary>PUT (upload, resumed with Content-Range) and HEAD (how much arrived) of an image's content.</summary>
    public static string ImageContent(string id) => $"{One("images", id)}/content";

    public static string ImageImport(string id) => $"{One("images", id)}/import";

    public static string VmNics(string vmId) => $"{One("vms", vmId)}/nics";

    public static string VmNic(string vmId, string nicId) => $"{VmNics(vmId)}/{Uri.EscapeDataString(nicId)}";

    public static string VmSnapshots(string vmId) => $"{One("vms", vmId)}/snapshots";

    public static string VmSnapshotRevert(string vmId, string snapshotId) => $"{VmSnapshots(vmId)}/{Uri.EscapeDataString(snapshotId)}/revert";

    public static string VmBackups(string vmId) => $"{One("vms", vmId)}/backups";

    public static string BackupRestore(string backupId) => $"{One("backups", backupId)}/restore";

    public static string BackupRestoreOver(string backupId) => $"{One("backups", backupId)}/restore-over";

    public static string BackupDownload(string backupId) => $"{One("backups", backupId)}/download";

    /// <summary>An image made from a stopped VM's disk (or from one of its snapshots).</summary>
    public static string VmImage(string vmId) => $"{One("vms", vmId)}/image";

    /// <summary>A one-time ticket for the VM's console; the WebSocket's URL comes in the answer.</summary>
    public static string VmConsole(string vmId) => $"{One("vms", vmId)}/console";

    public const string Hosts = "/api/v1/hosts";

    public static string HostCordon(string hostId) => $"{Hosts}/{Uri.EscapeDataString(hostId)}/cordon";

    public static string HostUncordon(string hostId) => $"{Hosts}/{Uri.EscapeDataString(hostId)}/uncordon";

    public static string HostDrain(string hostId) => $"{Hosts}/{Uri.EscapeDataString(hostId)}/drain";

    /// <summary>The signed-in user's own keys (a profile, not a kind).</summary>
    public const string SshKeys = "/api/v1/profile/ssh-keys";

    public static string SshKey(string id) => $"{SshKeys}/{Uri.EscapeDataString(id)}";

    public static string NetworkAddresses(string networkId) => $"{One("networks", networkId)}/addresses";

    public const string Quotas = "/api/v1/quotas";

    public const string QuotasMine = "/api/v1/quotas/mine";

    public static string Quota(string type, string name) => $"{Quotas}/{Uri.EscapeDataString(type)}/{Uri.EscapeDataString(name)}";

    /// <summary>The routes above as "METHOD /template" lines, the way OpenAPI names them.</summary>
    public static IEnumerable<string> All()
    {
        foreach (var kind in KindTable.All)
        {
            var k = kind.Name;
            yield return $"GET /api/v1/{k}";
            yield return $"POST /api/v1/{k}";
            foreach (var method in new[] { "GET", "PUT", "PATCH", "DELETE" }) yield return $"{method} /api/v1/{k}/{{id}}";
            yield return $"GET /api/v1/{k}/{{id}}/history";
            yield return $"GET /api/v1/{k}/{{id}}/diff";
            yield return $"POST /api/v1/{k}/{{id}}/revert";
        }
        yield return "POST /api/v1/vms/{id}/actions/{action}";
        yield return "POST /api/v1/vms/actions/{action}";
        yield return "PUT /api/v1/images/{id}/content";
        yield return "HEAD /api/v1/images/{id}/content";
        yield return "POST /api/v1/images/{id}/import";
        yield return "GET /api/v1/vms/{id}/nics";
        yield return "POST /api/v1/vms/{id}/nics";
        yield return "DELETE /api/v1/vms/{id}/nics/{nicId}";
        yield return "GET /api/v1/vms/{id}/snapshots";
        yield return "POST /api/v1/vms/{id}/snapshots";
        yield return "POST /api/v1/vms/{id}/snapshots/{snapshotId}/revert";
        yield return "GET /api/v1/vms/{id}/backups";
        yield return "POST /api/v1/vms/{id}/backups";
        yield return "POST /api/v1/backups/{id}/restore";
        yield return "POST /api/v1/backups/{id}/restore-over";
        yield return "GET /api/v1/backups/{id}/download";
        yield return "POST /api/v1/vms/{id}/image";
        yield return "GET /api/v1/networks/{id}/addresses";
        yield return "POST /api/v1/vms/{id}/console";
        yield return "GET /api/v1/hosts";
        yield return "POST /api/v1/hosts/{id}/cordon";
        yield return "POST /api/v1/hosts/{id}/uncordon";
        yield return "POST /api/v1/hosts/{id}/drain";
        yield return "GET /api/v1/profile/ssh-keys";
        yield return "POST /api/v1/profile/ssh-keys";
        yield return "DELETE /api/v1/profile/ssh-keys/{id}";
        yield return "GET /api/v1/quotas/mine";
        yield return "GET /api/v1/quotas";
        yield return "PUT /api/v1/quotas/{type}/{name}";
        yield return "DELETE /api/v1/quotas/{type}/{name}";
    }
}
