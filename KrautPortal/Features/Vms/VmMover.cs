using KrautPortal.Features.Hosts;
using KrautPortal.Features.Images;
using KrautPortal.Features.Store;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Vms;

/// <summary>
/// Carries out a move the API recorded (<c>spec.host</c> differs from <c>status.host</c>), one idempotent step after the
/// other, each recorded in <c>status.move</c> before it begins. A stopped VM moves cold: the base image ensured on the
/// target, the qcow2 overlay copied through this machine and rebased onto the target's base, the seed rebuilt, the
/// domain defined there by the ordinary builder and its snapshots (inside the overlay) recorded there too. A running VM goes through <see cref="IVmMigrator"/>. The source loses its
/// domain and files only after the target has the domain and a complete disk, so a crash anywhere converges to the VM
/// defined on exactly one host with its disk.
/// </summary>
public sealed class VmMover(HostRegistry hosts, KrautPaths paths, VmBuilder builder, VmVolumes volumes, IVmMigrator migrator,
    TimeProvider time, ILogger<VmMover> logger)
{
    /// <summary>The host a recorded move goes to, or null when the VM stays where it is.</summary>
    public static string? PendingTarget(VmSpec spec, VmStatus status) =>
        spec.Host is { } wanted && status.Host is { } current && wanted != current ? wanted : null;

    /// <summary>Runs the move's remaining steps; when it returns the VM lives on the target (its status says so).</summary>
    public async Task MoveAsync(VmPlan plan, StatusWriter writer, KrautDbContext db, CancellationToken ct)
    {
        var vm = plan.Vm;
        var source = plan.Host ?? throw new HostUnavailableException($"This VM is on {writer.Current.Host}, which is no longer configured; it cannot be moved from there.", new InvalidOperationException());
        var target = hosts.Find(vm.Spec.Host) ?? throw new PlacementException($"The VM was to move to {vm.Spec.Host}, which is no longer configured.");
        var arch = plan.RequireMachineType().Architecture;
        var guest = target.GuestFor(arch) ?? throw new VmBuildException(target.WhyCannotRun(arch) ?? $"{target.Uri} cannot run {arch} guests.");
        var targetPlan = plan with { Host = target, Placed = false, Guest = guest, DomainType = await hosts.DomainTypeForAsync(target, arch) };

        using var sourceDomain = source.Connection.FindDomain(vm.Id);
        using var targetDomain = target.Connection.FindDomain(vm.Id);
        var live = sourceDomain is { IsActive: true };
        var started = writer.Current.Move is { } m && m.To == target.Uri ? m.StartedAt : time.GetUtcNow().UtcDateTime;
        try
        {
            if (live && targetDomain is not { IsActive: true })
            {
                await StepAsync(writer, source, target, VmMoveSteps.Migrating, live: true, started, ct);
                var build = await builder.PrepareNewAsync(targetPlan, db, ct);
                await migrator.MoveRunningAsync(new VmLiveMove(targetPlan, source, target, DomainXml.Build(build.Definition)), ct);
            }
            else if (!live && targetDomain is null)
            {
                // A target domain exists only once its disk was complete (defining is the step after copying).
                await StepAsync(writer, source, target, VmMoveSteps.CopyingDisk, live: false, started, ct);
                await CopyDiskAsync(plan, source, target, ct);
                await StepAsync(writer, source, target, VmMoveSteps.Defining, live: false, started, ct);
                var build = await builder.PrepareNewAsync(targetPlan, db, ct);
                using (target.Connection.DefineDomain(DomainXml.Build(build.Definition))) { }
            }
            // Also when a crash came between defining and cleaning up: the source's record of them goes with its domain.
            if (!live) CarrySnapshots(sourceDomain, target, vm.Id);
        }
        catch (Exception e) when (e is LiveMigrationUnavailableException or LibvirtException or QemuImgException or IOException)
        {
            await writer.WriteAsync(s => s with { Move = s.Move! with { Error = e.Message }, LastError = e.Message, LastErrorAt = time.GetUtcNow().UtcDateTime }, ct);
            throw new VmMoveException($"Moving to {target.Uri} failed at step '{writer.Current.Move!.Step}': {e.Message}", e);
        }

        await StepAsync(writer, source, target, VmMoveSteps.CleaningSource, live, started, ct);
        if (sourceDomain is not null && !sourceDomain.IsActive) sourceDomain.Undefine();
        RemoveFromSource(vm.Id, source, target);
        var finished = time.GetUtcNow().UtcDateTime;
        await writer.WriteAsync(s => s with
        {
            Host = target.Uri,
            DomainDefined = true,
            DomainType = targetPlan.DomainType,
            Phase = live ? VmPhase.Running : VmPhase.Stopped,
            Move = null,
            LastMove = s.Move! with { FinishedAt = finished, Error = null },
            LastError = null,
            LastErrorAt = null,
        }, ct);
        logger.LogInformation("VM {Id} moved from {Source} to {Target} ({How})", vm.Id, source.Uri, target.Uri, live ? "live" : "cold");
    }

    private static Task StepAsync(StatusWriter writer, KrautHost source, KrautHost target, string step, bool live, DateTime started, CancellationToken ct) =>
        writer.WriteAsync(s => s with { Phase = VmPhase.Moving, Move = new VmMove(source.Uri, target.Uri, step, live, started) }, ct);

    /// <summary>
    /// The overlay on the target, complete or not at all: a local file appears by rename, a volume counts only with its
    /// upload marker. Done already: nothing is read from the source (which may have lost it by now).
    /// </summary>
    private async Task CopyDiskAsync(VmPlan plan, KrautHost source, KrautHost target, CancellationToken ct)
    {
        var sourceVolumes = VmVolumes.AreUsedOn(source);
        var targetVolumes = VmVolumes.AreUsedOn(target);
        // This machine's hosts (and the demo host) share the data directory: nothing to copy.
        if (!sourceVolumes && !targetVolumes) return;
        var id = plan.Id;
        if (targetVolumes)
        {
            using var pool = volumes.Pool(target);
            if (pool.HasComplete(VmVolumes.DiskVolume(id))) return;
        }
        else if (File.Exists(paths.DiskFor(id)))
        {
            return;
        }

        var image = plan.RequireImage();
        if (image.Format is not { } format || image.ContentPath is null)
            throw new VmBuildException($"Image '{image.Name}' is not ready (it is {image.Phase}); its base is needed on the target.");
        var temporary = paths.DiskFor(id) + ".move.tmp";
        File.Delete(temporary);
        try
        {
            if (sourceVolumes)
            {
                using var pool = volumes.Pool(source);
                using var volume = pool.FindVolume(VmVolumes.DiskVolume(id))
                    ?? throw new VmBuildException($"The disk of this VM is missing on {source.Uri}; nothing to move.");
                await using var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write);
                await Task.Run(() => volume.Download(file, ct: ct), ct);
            }
            else
            {
                if (!File.Exists(paths.DiskFor(id))) throw new VmBuildException($"The disk of this VM is missing from {paths.Disks}; nothing to move.");
                File.Copy(paths.DiskFor(id), temporary);
            }

            if (format != ImageFormat.Iso)
            {
                var baseFormat = format.ToString().ToLowerInvariant();
                var basePath = targetVolumes
                    ? await volumes.EnsureImageAsync(target, image.Id, format, image.ContentPath, ct)
                    : Path.GetFullPath(image.ContentPath);
                await QemuImg.RebaseUnsafeAsync(temporary, basePath, baseFormat, ct);
            }

            if (targetVolumes)
            {
                using var pool = volumes.Pool(target);
                await Task.Run(() => pool.UploadOnce(VmVolumes.DiskVolume(id), temporary, ct), ct);
            }
            else
            {
                File.Move(temporary, paths.DiskFor(id));
            }
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// Internal snapshots travel inside the copied qcow2 overlay, but libvirt's record of them is per host: the target
    /// learns each one the source has and it lacks, parents first, with the target's definition of the domain (its
    /// disk paths are the ones a revert uses there).
    /// </summary>
    private void CarrySnapshots(LibvirtDomain? source, KrautHost target, Guid id)
    {
        if (source is null) return;
        var documents = source.SnapshotDocuments();
        if (documents.Count == 0) return;
        using var domain = target.Connection.FindDomain(id) ?? throw new VmBuildException($"The VM's domain is missing on {target.Uri} after it was defined there.");
        var definition = domain.GetXml(inactive: true);
        var known = domain.ListSnapshots().Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var document in documents.Where(d => !known.Contains(SnapshotXml.Parse(d).Name)))
            domain.RedefineSnapshot(SnapshotXml.WithDomain(document, definition));
        logger.LogInformation("VM {Id}: {Count} snapshot(s) recorded on {Target}", id, documents.Count, target.Uri);
    }

    /// <summary>The source's disk, seed and console log; this machine's files only when the target is not this machine too.</summary>
    private void RemoveFromSource(Guid id, KrautHost source, KrautHost target)
    {
        if (VmVolumes.AreUsedOn(source)) volumes.Delete(source, id);
        else if (VmVolumes.AreUsedOn(target)) builder.DeleteFiles(id);
    }
}

/// <summary>A step of a move failed; status.move says which, and the next pass tries again from there.</summary>
public sealed class VmMoveException(string message, Exception inner) : Exception(message, inner);
