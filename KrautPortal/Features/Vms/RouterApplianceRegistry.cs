using System.Text.Json.Nodes;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Vms;

/// <summary>The image and machine type router VMs are made of, as start-up registers them (Seeding).</summary>
public sealed record RouterApplianceParts(Guid ImageId, Guid MachineTypeId, int Vcpus, int MemoryMiB);

/// <summary>The parts, or why there are none.</summary>
public sealed record RouterApplianceLookup(RouterApplianceParts? Parts, string? Problem);

/// <summary>
/// The router appliance: a system image (built by <c>scripts/build-guest-image.sh --router</c> into
/// <c>&lt;data&gt;/seed/kraut-router.qcow2</c>) and a system machine type, both owned by "shared", hidden from users,
/// and marked with metadata <c>{"kraut-appliance": "router"}</c> so that neither names nor owners decide what they are.
/// </summary>
public static class RouterApplianceRegistry
{
    public const string ImageFile = "kraut-router.qcow2";
    public const string Key = "kraut-appliance";
    public const string Value = "router";
    public const string MachineTypeName = "kraut-router";
    public const int Vcpus = 1;
    public const int MemoryMiB = 256;

    public const string NotInstalled = "The router appliance image is not installed: run scripts/build-guest-image.sh --router "
        + "(it writes <data>/seed/" + ImageFile + ") and restart the portal, which registers it.";

    public static JsonObject Metadata() => new() { [Key] = Value };

    /// <summary>The image's name: one per build, so a rebuilt appliance is a new image while routers still run on the old one.</summary>
    public static string ImageName(string sha256) => "kraut-router-" + sha256[..12];

    public static bool IsAppliance(JsonObject metadata, bool isSystem) =>
        isSystem && metadata[Key] is JsonValue value && value.TryGetValue<string>(out var text) && text == Value;

    /// <summary>The newest ready appliance image and the appliance machine type, or the reason router VMs cannot be made.</summary>
    public static async Task<RouterApplianceLookup> FindAsync(KindReader reader, CancellationToken ct)
    {
        var image = (await ImagesAsync(reader, ct))
            .Where(i => i.DeletionRequestedAt is null && i.Status.Phase == ImagePhase.Ready)
            .MaxBy(i => i.CreatedAt);
        if (image is null) return new RouterApplianceLookup(null, NotInstalled);
        if (await MachineTypeAsync(reader, ct) is not { } type)
            return new RouterApplianceLookup(null, $"The router appliance's machine type '{MachineTypeName}' is missing; restart the portal to register it again.");
        return new RouterApplianceLookup(new RouterApplianceParts(image.Id, type.Id, type.Spec.Vcpus.Default, type.Spec.MemoryMiB.Default), null);
    }

    /// <summary>Every appliance image, oldest first, including ones a newer build replaced (routers may still run on them).</summary>
    public static async Task<IReadOnlyList<Resource<ImageSpec, ImageStatus>>> ImagesAsync(KindReader reader, CancellationToken ct) =>
        (await reader.AllAsync<ImageSpec, ImageStatus>(Kinds.Images, ct, r => r.IsSystem && EF.Functions.Like(r.Metadata, Needle)))
            .Where(i => IsAppliance(i.Metadata, i.System)).OrderBy(i => i.CreatedAt).ToList();

    public static async Task<Resource<MachineTypeSpec, MachineTypeStatus>?> MachineTypeAsync(KindReader reader, CancellationToken ct) =>
        (await reader.AllAsync<MachineTypeSpec, MachineTypeStatus>(Kinds.MachineTypes, ct, r => r.IsSystem && EF.Functions.Like(r.Metadata, Needle)))
            .Where(t => t.DeletionRequestedAt is null).FirstOrDefault(t => IsAppliance(t.Metadata, t.System));

    private const string Needle = "%\"" + Key + "\"%";
}
