using System.Diagnostics;
using System.Runtime.InteropServices;
using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

// Live migration with copying of non-shared storage (virDomainMigrate3), driven from this process: libvirt talks to
// both daemons, the two QEMUs talk to each other directly over the target's address.
public sealed partial class LibvirtConnection
{
    private const uint XmlMigratable = 1 << 3; // VIR_DOMAIN_XML_MIGRATABLE
    private const uint JobStatsCompleted = 1 << 0; // VIR_DOMAIN_JOB_STATS_COMPLETED
    private const int JobNone = 0; // VIR_DOMAIN_JOB_NONE

    /// <summary>
    /// live: the guest runs on during the copy; persist: afterwards it is defined on the target (and, unless the request
    /// keeps it, undefined on the source);
    /// non-shared incremental: only each disk's top layer is copied, the backing images are the target's own;
    /// auto-converge: under TCG a busy guest may dirty memory faster than it is sent, so QEMU throttles it instead of
    /// iterating forever.
    /// </summary>
    private const VirMigrateFlags LiveFlags = VirMigrateFlags.Live | VirMigrateFlags.PersistDest | VirMigrateFlags.NonSharedInc | VirMigrateFlags.AutoConverge;

    /// <summary>The running domain's XML as libvirt would send it for a migration (no runtime-only details).</summary>
    public string GetMigratableXml(Guid uuid)
    {
        ThrowIfDisposed();
        using var domain = LookupDomainHandle(uuid);
        return LibvirtError.TakeOwnedString(LibvirtNative.virDomainGetXMLDesc(domain, XmlMigratable), "virDomainGetXMLDesc");
    }

    /// <summary>
    /// Moves the running domain <see cref="LiveMigrationRequest.Uuid"/> to <paramref name="target"/> while it runs. Blocks
    /// for the whole migration (seconds to minutes under TCG): call it off any hot path. <paramref name="progress"/> gets
    /// the job's statistics about twice a second; cancelling aborts the job (the domain then runs on here, unchanged).
    /// </summary>
    /// <exception cref="LiveMigrationRefusedException">The destination XML's domain type differs from the running one's.</exception>
    /// <exception cref="LibvirtException">libvirt failed the migration, with its message.</exception>
    public LiveMigrationResult MigrateLive(LiveMigrationRequest request, LibvirtConnection target,
        IProgress<LiveMigrationProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(target);
        ThrowIfDisposed();
        target.ThrowIfDisposed();
        var uri = request.MigrationUri;
        using var domain = LookupDomainHandle(request.Uuid);
        // KVM state cannot be loaded into TCG (or back): refused here with a reason rather than by QEMU half-way.
        var running = LibvirtError.TakeOwnedString(LibvirtNative.virDomainGetXMLDesc(domain, XmlMigratable), "virDomainGetXMLDesc");
        MigrationXml.RequireSameDomainType(running, request.DestinationXml);

        var parameters = IntPtr.Zero;
        int count = 0, capacity = 0;
        try
        {
            AddString(ref parameters, ref count, ref capacity, "migrate_uri", uri);
            AddString(ref parameters, ref count, ref capacity, "destination_xml", request.DestinationXml);
            AddString(ref parameters, ref count, ref capacity, "persistent_xml", request.PersistentXml ?? request.DestinationXml);
            if (request.CopiedDisks.Count > 0) AddStringList(ref parameters, ref count, ref capacity, "migrate_disks", request.CopiedDisks);

            ct.ThrowIfCancellationRequested();
            var watch = Stopwatch.StartNew();
            using var stopPolling = new CancellationTokenSource();
            var polling = progress is null ? Task.CompletedTask : Task.Run(() => PollJob(domain, watch, progress, stopPolling.Token), CancellationToken.None);
            DomainHandle moved;
            LibvirtException? failure = null;
            using (ct.Register(() => LibvirtNative.virDomainAbortJob(domain)))
            {
                var flags = LiveFlags | (request.UndefineSource ? VirMigrateFlags.UndefineSource : 0);
                moved = LibvirtNative.virDomainMigrate3(domain, target._handle, parameters, (uint)count, (uint)flags);
                // Read on this thread at once: libvirt keeps the error per thread.
                if (moved.IsInvalid) failure = LibvirtError.Capture("virDomainMigrate3");
            }
            var elapsed = watch.Elapsed;
            stopPolling.Cancel();
            polling.Wait(CancellationToken.None);
            if (failure is not null)
            {
                moved.Dispose();
                if (ct.IsCancellationRequested) throw new OperationCanceledException("The live migration was cancelled; the domain runs on at its source.", failure, ct);
                throw failure;
            }

            var completed = CompletedJobStats(moved);
            ulong? downtime = completed.TryGetValue("downtime", out var d) ? d : null;
            ulong? total = completed.TryGetValue("data_total", out var t) ? t : null;
            return new LiveMigrationResult(new LibvirtDomain(moved), elapsed, downtime is { } ms ? TimeSpan.FromMilliseconds(ms) : null, total);
        }
        finally
        {
            if (parameters != IntPtr.Zero) LibvirtNative.virTypedParamsFree(parameters, count);
        }
    }

    /// <summary>What the target measured of the finished migration (downtime, bytes); empty when it keeps nothing.</summary>
    private static Dictionary<string, ulong> CompletedJobStats(DomainHandle moved)
    {
        try
        {
            return ReadJobStats(moved, JobStatsCompleted);
        }
        catch (LibvirtException)
        {
            // The migration succeeded; its figures are only a report.
            return [];
        }
    }

    private DomainHandle LookupDomainHandle(Guid uuid) =>
        LibvirtError.Check(LibvirtNative.virDomainLookupByUUIDString(_handle, uuid.ToString("D")), "virDomainLookupByUUIDString");

    private static void AddString(ref IntPtr parameters, ref int count, ref int capacity, string name, string value) =>
        LibvirtError.Check(LibvirtNative.virTypedParamsAddString(ref parameters, ref count, ref capacity, name, value), "virTypedParamsAddString");

    private static void AddStringList(ref IntPtr parameters, ref int count, ref int capacity, string name, IReadOnlyList<string> values)
    {
        // A NULL-terminated char*[]; libvirt copies the strings, ours are freed right after.
        var array = new IntPtr[values.Count + 1];
        try
        {
            for (var i = 0; i < values.Count; i++) array[i] = Marshal.StringToCoTaskMemUTF8(values[i]);
            LibvirtError.Check(LibvirtNative.virTypedParamsAddStringList(ref parameters, ref count, ref capacity, name, array), "virTypedParamsAddStringList");
        }
        finally
        {
            foreach (var p in array) Marshal.FreeCoTaskMem(p);
        }
    }

    private static void PollJob(DomainHandle domain, Stopwatch watch, IProgress<LiveMigrationProgress> progress, CancellationToken stop)
    {
        while (!stop.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(500)))
        {
            Dictionary<string, ulong> stats;
            try
            {
                stats = ReadJobStats(domain, 0);
            }
            catch (LibvirtException)
            {
                // The job may be ending (the domain leaving this host): the migration's own result says how it went.
                continue;
            }
            if (stats.Count == 0) continue;
            progress.Report(new LiveMigrationProgress(watch.Elapsed, Get("data_total"), Get("data_processed"), Get("data_remaining"),
                Get("disk_total"), Get("disk_processed"), Get("memory_iteration")));

            ulong? Get(string field) => stats.TryGetValue(field, out var v) ? v : null;
        }
    }

    /// <summary>The job's integer statistics by field name; empty when there is no job (or none completed).</summary>
    private static unsafe Dictionary<string, ulong> ReadJobStats(DomainHandle domain, uint flags)
    {
        LibvirtError.Check(LibvirtNative.virDomainGetJobStats(domain, out var type, out var parameters, out var count, flags), "virDomainGetJobStats");
        try
        {
            var result = new Dictionary<string, ulong>(StringComparer.Ordinal);
            if (type == JobNone) return result;
            var list = (VirTypedParameter*)parameters;
            for (var i = 0; i < count; i++)
            {
                if (ValueOf(ref list[i]) is ulong value) result[FieldOf(ref list[i])] = value;
            }
            return result;
        }
        finally
        {
            if (parameters != IntPtr.Zero) LibvirtNative.virTypedParamsFree(parameters, count);
        }
    }
}
