using KrautPortal.Features.Store;

namespace KrautPortal.Features.Vms.Wizard;

/// <summary>
/// A step a higher feature adds to the create-VM wizard, between "Name &amp; metadata" and "Review" (the firewall step,
/// from Firewalls), so the wizard shows it without naming that feature. <see cref="Component"/> gets the parameters
/// <c>Draft</c> (<see cref="VmDraft"/>) and <c>Changed</c> (<c>EventCallback</c>); what it collects it keeps in
/// <see cref="VmDraft.Extensions"/>.
/// </summary>
public interface IVmWizardStep
{
    string Title { get; }

    Type Component { get; }

    /// <summary>Whether the step has anything to ask for this draft; when not, the wizard passes over it.</summary>
    Task<bool> AppliesAsync(VmDraft draft, CancellationToken ct);

    /// <summary>Why the step is not done yet, or null.</summary>
    string? Problem(VmDraft draft);

    /// <summary>Just before the VM is created: what the step adds to the request (a metadata label, say).</summary>
    void Prepare(VmDraft draft);

    /// <summary>Once the VM exists: does what the step collected; returns what to tell the user (null: nothing to say).</summary>
    Task<string?> CreatedAsync(VmDraft draft, Resource<VmSpec, VmStatus> vm, CancellationToken ct);
}
