using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Threading.Channels;
using KrautPortal.Features;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Images;
using KrautPortal.Features.Store;

namespace KrautPortal.Benchmarks.Conversion;

/// <summary>
/// The portal's own composition (AddKraut, InitializeKrautAsync, hosted services started) in this process, on
/// libvirt's test driver, with a fresh data directory: the real ImagePipeline, store and change feed, and no
/// HTTP between the benchmark and them. Content arrives the way an upload hands it over: the whole file at
/// ArrivedPath, phase Checking, Enqueue.
/// </summary>
public sealed class PipelineHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PipelineHost(WebApplication app, string dataDirectory)
    {
        _app = app;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public ImageStorage Storage => _app.Services.GetRequiredService<ImageStorage>();

    public static async Task<PipelineHost> StartAsync()
    {
        var data = Directory.CreateTempSubdirectory("kraut-bench-convert-").FullName;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kraut:DataDirectory"] = data,
            ["Kraut:Hosts:0"] = "test:///default",
            ["Urls"] = "http://127.0.0.1:0",
        });
        builder.Logging.ClearProviders();
        builder.AddKraut();
        var app = builder.Build();
        await app.InitializeKrautAsync();
        await app.StartAsync();
        return new PipelineHost(app, data);
    }

    /// <summary>A new image record in phase Checking, as an upload leaves it just before it hands over.</summary>
    public async Task<Guid> CreateCheckingImageAsync(string name)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<ResourceStore>().CreateAsync(new NewResource(Kinds.Images.Name, name, Actor.SharedOwner,
            new JsonObject(), KrautJson.Serialize(new ImageSpec()), KrautJson.Serialize(new ImageStatus { Phase = ImagePhase.Checking })), Actor.System, CancellationToken.None);
        return row.Id;
    }

    /// <summary>
    /// Hands the image to the pipeline and waits for Ready, woken by the change feed (no polling interval in the
    /// figure). Returns the Converting phase's start as the pipeline stored it, and the final status.
    /// </summary>
    public async Task<(DateTime? ConvertingSince, ImageStatus Final)> EnqueueAndWaitAsync(Guid id, TimeSpan timeout)
    {
        var changed = Channel.CreateUnbounded<bool>();
        using var subscription = _app.Services.GetRequiredService<ChangeFeed>().Subscribe(c =>
        {
            if (c.Id == id) changed.Writer.TryWrite(true);
        });
        using var deadline = new CancellationTokenSource(timeout);
        _app.Services.GetRequiredService<IImagePipeline>().Enqueue(id);
        DateTime? converting = null;
        while (true)
        {
            var status = await StatusAsync(id);
            if (status.Phase == ImagePhase.Converting) converting ??= status.PhaseStartedAt;
            if (status.Phase == ImagePhase.Ready) return (converting, status);
            if (status.Phase == ImagePhase.Failed) throw new InvalidOperationException($"the pipeline refused the image: {status.Message}");
            await changed.Reader.ReadAsync(deadline.Token);
            while (changed.Reader.TryRead(out _)) { }
        }
    }

    /// <summary>Deletes the record and its content, as the API's delete does.</summary>
    public async Task DeleteAsync(Guid id)
    {
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<ResourceStore>().DeleteAsync(Kinds.Images.Name, id, null, Actor.System, CancellationToken.None);
        }
        Storage.DeleteIfUnreferenced(id);
    }

    private async Task<ImageStatus> StatusAsync(Guid id)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<ResourceStore>().GetAsync(Kinds.Images.Name, id, Actor.System, CancellationToken.None);
        return KrautJson.Deserialize<ImageStatus>(row.Status);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }
}
