using System.Diagnostics;

namespace KrautPortal.Features.Vms;

/// <summary>
/// Spans for the phases of bringing a VM up (plan, build, overlay, define, start, first libvirt event), so a tracer or
/// the benchmark can see where create-to-running time goes. Tagged with the VM id.
/// </summary>
public static class VmTelemetry
{
    public const string SourceName = "Kraut.Vms";
    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Resolving the VM's plan (every reconcile pass has one).</summary>
    public const string Plan = "vm.plan";

    /// <summary>A new domain's networks, network filters and cloud-init seed; the overlay runs beside it.</summary>
    public const string Build = "vm.build";

    public const string Overlay = "vm.overlay";
    public const string Define = "vm.define";
    public const string Start = "vm.start";
    public const string FirstEvent = "vm.first-event";

    public static Activity? StartPhase(string phase, Guid vmId) =>
        Source.StartActivity(phase, ActivityKind.Internal, parentContext: default, tags: [new("kraut.vm.id", vmId.ToString())]);
}
