using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Usage.Pages;

/// <summary>A VM's usage on its page. The page already checked the VM is the viewer's; each sample pass reloads the series.</summary>
public partial class VmUsageTab : ComponentBase, IDisposable
{
    private const double Mib = 1024 * 1024;

    private UsageRange _range = UsageRange.Hour;
    private IReadOnlyList<UsagePoint>? _points;

    [Inject] private UsageSampler Sampler { get; set; } = default!;
    [Inject] private UsageHistory History { get; set; } = default!;
    [Inject] private IOptions<UsageOptions> Options { get; set; } = default!;

    [Parameter, EditorRequired] public Resource<VmSpec, VmStatus> Vm { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        Sampler.Sampled += OnSampled;
        await LoadAsync();
    }

    private async Task SelectAsync(UsageRange range)
    {
        _range = range;
        _points = null;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _points = await History.VmSeriesAsync(Vm.Id, _range, CancellationToken.None);
    }

    private void OnSampled() => _ = InvokeAsync(async () =>
    {
        if (!_range.FromRawSamples) return;
        await LoadAsync();
        StateHasChanged();
    });

    public void Dispose()
    {
        Sampler.Sampled -= OnSampled;
        GC.SuppressFinalize(this);
    }
}
