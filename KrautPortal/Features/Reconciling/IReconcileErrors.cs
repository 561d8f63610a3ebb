namespace KrautPortal.Features.Reconciling;

/// <summary>
/// Where a reconcile loop reports how each object's last pass went, so a higher feature (Failures) can list what keeps
/// failing. <paramref name="reconciler"/> is the loop's type name (<c>VmReconciler</c>).
/// </summary>
public interface IReconcileErrors
{
    void Failed(string reconciler, Guid id, string message, int attempt);

    void Succeeded(string reconciler, Guid id);
}
