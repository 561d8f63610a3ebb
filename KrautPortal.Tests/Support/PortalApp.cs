namespace KrautPortal.Tests.Support;

/// <summary>A portal in the test process for one page-test class (xunit makes one per class that asks for it).</summary>
public sealed class PortalApp : IDisposable
{
    public KrautAppFactory Factory { get; } = new();
    public IServiceProvider Services => Factory.Services;
    public void Dispose() => Factory.Dispose();
}
