using System.Text.Json.Nodes;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Microsoft.JSInterop;
using MudBlazor;

namespace KrautPortal.Features.Images.Pages;

/// <summary>
/// Makes an image record per file, hands the file to image-upload.js (which sends it straight to the API), and
/// follows each image's phase on the server until it is ready.
/// </summary>
public sealed partial class ImageUploads : IAsyncDisposable
{
    /// <summary>The browser module, under wwwroot.</summary>
    public const string Script = "js/image-upload.js";

    private readonly List<UploadEntry> _entries = [];
    private Guid[] _watched = [];
    private ElementReference _zone;
    private ElementReference _input;
    private IJSObjectReference? _module;
    private DotNetObjectReference<ImageUploads>? _self;

    [Inject] private IJSRuntime JS { get; set; } = default!;
    [Inject] private ResourceService<ImageSpec, ImageStatus> Images { get; set; } = default!;
    [Inject] private IOptions<ImagesOptions> Options { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;

    /// <summary>Upload into this image (its own page) instead of making a new image per file.</summary>
    [Parameter] public Resource<ImageSpec, ImageStatus>? Into { get; set; }

    private ImageFormat StorageFormat => Options.Value.StorageFormat;

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender) return;
        _self = DotNetObjectReference.Create(this);
        _module = await JS.InvokeAsync<IJSObjectReference>("import", "./" + Assets[Script]);
        // Uploads started before this page was last left are still running in the browser: take them up again.
        var running = await _module.InvokeAsync<UploadReport[]?>("attach", _zone, _input, _self) ?? [];
        foreach (var report in running.Where(r => Into is null || r.ImageId == Into.Id))
        {
            var entry = NewEntry(report);
            entry.Apply(report);
            await LoadAsync(entry);
            _entries.Add(entry);
        }
        Rewatch();
        StateHasChanged();
    }

    /// <summary>Files were dropped or chosen: stage them (new images), or start the one file (an existing image).</summary>
    [JSInvokable]
    public async Task OnFilesAdded(UploadReport[] files, int folders)
    {
        if (folders > 0) Snackbar.Add("Folders are not uploaded; drop the image files inside them.", Severity.Warning);
        if (Into is { } target)
        {
            foreach (var extra in files.Skip(1)) await _module!.InvokeVoidAsync("forget", extra.Key);
            if (files.FirstOrDefault() is not { } file) return;
            if (_entries.Any(e => e.IsSending))
            {
                Snackbar.Add("An upload into this image is already running.", Severity.Warning);
                await _module!.InvokeVoidAsync("forget", file.Key);
                return;
            }
            _entries.RemoveAll(e => e.IsSettled || e.State is UploadState.Interrupted or UploadState.Failed);
            var entry = NewEntry(file);
            entry.Name = target.Name;
            entry.ImageId = target.Id;
            _entries.Add(entry);
            if (!RefuseTooLarge(entry))
            {
                entry.State = UploadState.Queued;
                // Resume: the image may hold the first part of this file from an earlier try.
                await _module!.InvokeAsync<bool>("start", entry.Key, target.Id, true);
            }
        }
        else
        {
            foreach (var file in files)
            {
                var entry = NewEntry(file);
                entry.Name = Transfers.NameFromFile(file.FileName);
                entry.Architecture = Transfers.ArchitectureFromFile(file.FileName);
                RefuseTooLarge(entry);
                _entries.Add(entry);
            }
        }
        Rewatch();
        StateHasChanged();
    }

    /// <summary>Bytes and speeds of the running uploads, at most twice a second.</summary>
    [JSInvokable]
    public void OnProgress(UploadReport[] reports)
    {
        foreach (var report in reports) Find(report.Key)?.Apply(report);
        StateHasChanged();
    }

    /// <summary>An upload changed state: started, lost its connection, failed, or has all its bytes with the server.</summary>
    [JSInvokable]
    public async Task OnUploadChanged(UploadReport report)
    {
        if (Find(report.Key) is not { } entry) return;
        var before = entry.State;
        entry.Apply(report);
        if (entry.State == UploadState.WithServer && before != UploadState.WithServer)
        {
            Rewatch();
            await LoadAsync(entry);
        }
        StateHasChanged();
    }

    /// <summary>Opens the import dialog; an accepted import joins the list and is followed like an upload.</summary>
    public async Task ImportAsync()
    {
        var dialog = await Dialogs.ShowAsync<ImportDialog>("Import an image from a URL",
            new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, CloseButton = true });
        if (await dialog.Result is not { Canceled: false, Data: ImportDialog.Started started }) return;
        _entries.Add(new UploadEntry
        {
            Key = "import-" + started.Image.Id,
            Source = started.Url,
            IsImport = true,
            Name = started.Image.Name,
            ImageId = started.Image.Id,
            CreatedHere = true,
            State = UploadState.WithServer,
            Image = started.Image,
        });
        Rewatch();
        await RefreshAsync();
        StateHasChanged();
    }

    private async Task StartAllAsync()
    {
        foreach (var entry in _entries.Where(e => e.State == UploadState.Staged).ToList()) await StartAsync(entry);
    }

    /// <summary>Creates the image record from the staged form, then lets the browser send the file into it.</summary>
    private async Task StartAsync(UploadEntry entry)
    {
        if (entry.State != UploadState.Staged || _module is null) return;
        var name = entry.Name.Trim();
        if (ResourceNames.Problem(name) is { } problem)
        {
            entry.Message = problem;
            return;
        }
        entry.State = UploadState.Creating;
        entry.Message = null;
        StateHasChanged();
        try
        {
            var spec = new ImageSpec { Architecture = entry.Architecture, Description = $"Uploaded from {entry.Source}." };
            var image = await Images.CreateAsync(new ResourceInput<ImageSpec>(name, new JsonObject(), spec), CancellationToken.None);
            (entry.ImageId, entry.Image, entry.Name, entry.CreatedHere) = (image.Id, image, image.Name, true);
        }
        catch (KrautProblemException e)
        {
            entry.State = UploadState.Staged;
            entry.Message = e is ValidationException v ? string.Join(" ", v.Errors.SelectMany(x => x.Value)) : e.Detail;
            return;
        }
        // Queued before the call: the script may report the upload finished before the call returns.
        entry.State = UploadState.Queued;
        Rewatch();
        if (!await _module.InvokeAsync<bool>("start", entry.Key, entry.ImageId, false))
        {
            entry.State = UploadState.Failed;
            entry.Message = "The browser no longer has this file. Choose it again on the image's page.";
        }
    }

    private async Task ResumeAsync(UploadEntry entry)
    {
        if (_module is null) return;
        if (!await _module.InvokeAsync<bool>("resume", entry.Key))
            entry.Message = "The browser no longer has this file. Choose it again on the image's page to go on where it stopped.";
    }

    /// <summary>
    /// Staged: drops the file. Otherwise aborts the upload (or import), lets the server drop what arrived, and
    /// removes the image again if this page made it; one made elsewhere stays, waiting for content.
    /// </summary>
    private async Task CancelAsync(UploadEntry entry)
    {
        if (_module is null) return;
        if (entry.ImageId is not { } id)
        {
            await _module.InvokeVoidAsync("forget", entry.Key);
            _entries.Remove(entry);
            return;
        }
        entry.State = UploadState.Cancelling;
        StateHasChanged();
        var problem = entry.IsImport
            ? await _module.InvokeAsync<string?>("cancelContent", id)
            : await _module.InvokeAsync<string?>("cancel", entry.Key);
        if (entry.CreatedHere)
        {
            try
            {
                await Images.DeleteAsync(id, null, CancellationToken.None);
            }
            catch (NotFoundException)
            {
                // already gone
            }
            catch (KrautProblemException e)
            {
                problem ??= e.Detail;
            }
        }
        entry.State = UploadState.Cancelled;
        entry.Message = problem is not null ? $"Cancelled, but the server said: {problem}"
            : entry.CreatedHere ? "Cancelled. The image and whatever had arrived were removed."
            : "Cancelled. Whatever had arrived was removed.";
        Rewatch();
    }

    private async Task DismissAsync(UploadEntry entry)
    {
        _entries.Remove(entry);
        Rewatch();
        if (_module is not null && !entry.IsImport) await _module.InvokeVoidAsync("forget", entry.Key);
    }

    protected override bool Watches(ResourceChange change) => change.Kind == Kinds.Images.Name && _watched.Contains(change.Id);

    /// <summary>The server's view of every image whose content is with the server.</summary>
    protected override async Task RefreshAsync()
    {
        foreach (var entry in _entries.Where(e => e.State == UploadState.WithServer).ToList()) await LoadAsync(entry);
    }

    private async Task LoadAsync(UploadEntry entry)
    {
        if (entry.ImageId is not { } id) return;
        entry.Image = await Images.FindAsync(id, CancellationToken.None);
        if (entry.Image is not null) entry.Name = entry.Image.Name;
    }

    /// <summary>
    /// The images whose phase the rows show (their content is with the server); swapped whole, as the change feed
    /// reads it from other threads. Uploads in flight are not watched: the browser knows their progress better.
    /// </summary>
    private void Rewatch() =>
        _watched = _entries.Where(e => e is { State: UploadState.WithServer, ImageId: not null }).Select(e => e.ImageId!.Value).ToArray();

    private UploadEntry? Find(string key) => _entries.FirstOrDefault(e => e.Key == key);

    private static UploadEntry NewEntry(UploadReport report) => new()
    {
        Key = report.Key,
        Source = report.FileName,
        Size = report.Size,
        Name = Transfers.NameFromFile(report.FileName),
        ImageId = report.ImageId,
    };

    /// <summary>Says at once when a file is over the server's limit, instead of after sending it.</summary>
    private bool RefuseTooLarge(UploadEntry entry)
    {
        var max = Options.Value.MaxUploadBytes;
        if (entry.Size <= max) return false;
        entry.State = UploadState.Failed;
        entry.Message = $"{Sizes.Describe(entry.Size)} is more than the {Sizes.Describe(max)} this server accepts.";
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        Dispose();
        if (_module is not null)
        {
            try
            {
                // The uploads go on in the browser; this page just stops hearing about them.
                await _module.InvokeVoidAsync("detach", _zone);
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // the browser is gone, and the uploads with it
            }
        }
        _self?.Dispose();
    }
}
