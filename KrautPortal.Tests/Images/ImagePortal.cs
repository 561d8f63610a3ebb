using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KrautPortal.Features.Images;
using KrautPortal.Features.Images.Pipeline;
using KrautPortal.Features.Images.Upload;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Images;

/// <summary>
/// Sits in front of the real image pipeline: records every hand-over and, while <see cref="Holding"/>, keeps it until a
/// test has looked at the arrived content and calls <see cref="Release"/>. Nothing is faked: released ids go to the
/// portal's own <see cref="ImagePipeline"/> (real qemu-img).
/// </summary>
public sealed class PipelineGate : IImagePipeline
{
    private readonly ConcurrentQueue<Guid> _calls = new();
    private readonly ConcurrentDictionary<Guid, bool> _held = new();
    private ImagePipeline? _inner;

    public IReadOnlyList<Guid> Calls => [.. _calls];

    /// <summary>Hand-overs are kept (true, the default) or passed on at once.</summary>
    public bool Holding { get; set; } = true;

    internal void Attach(ImagePipeline inner) => _inner = inner;

    public void Enqueue(Guid imageId)
    {
        _calls.Enqueue(imageId);
        if (Holding) _held[imageId] = true;
        else Inner.Enqueue(imageId);
    }

    /// <summary>Passes a held hand-over on to the real pipeline.</summary>
    public void Release(Guid imageId)
    {
        Assert.True(_held.TryRemove(imageId, out _), $"image {imageId} was not handed to the pipeline");
        Inner.Enqueue(imageId);
    }

    private ImagePipeline Inner => _inner ?? throw new InvalidOperationException("the portal has not started");
}

/// <summary>
/// A portal on real Kestrel (so request body limits, aborted connections and 100-continue behave as in production)
/// with a gate in front of the real image pipeline, and helpers for images and their content files.
/// </summary>
public class ImagePortal : IDisposable
{
    public ImagePortal() : this(new Dictionary<string, string?>()) { }

    /// <summary>A portal with these settings (Images:MaxUploadBytes and so on), for a test or a fixture of its own.</summary>
    public static ImagePortal With(IDictionary<string, string?> settings) => new(settings);

    protected ImagePortal(IDictionary<string, string?> settings)
    {
        App = new KrautAppFactory(settings: settings, services: s => s.AddSingleton<IImagePipeline>(sp =>
        {
            Pipeline.Attach(sp.GetRequiredService<ImagePipeline>());
            return Pipeline;
        }));
        App.UseKestrel(0);
        App.StartServer();
        var address = App.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        // No redirect handler: it would buffer every request body to be able to send it again.
        Http = App.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri(address), AllowAutoRedirect = false, HandleCookies = false });
        Http.Timeout = TimeSpan.FromSeconds(60);
    }

    public KrautAppFactory App { get; }
    public HttpClient Http { get; }
    public PipelineGate Pipeline { get; } = new();

    public IncomingFiles Files => App.Service<IncomingFiles>();

    public void Dispose()
    {
        Http.Dispose();
        App.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new image, awaiting content; returns its id.</summary>
    public async Task<Guid> CreateImageAsync(string prefix = "img")
    {
        using var response = await Http.PostAsync("/api/v1/images", ApiClient.Json(new JsonObject
        {
            ["name"] = ApiClient.UniqueName(prefix),
            ["spec"] = new JsonObject { ["architecture"] = "x86_64" },
        }));
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"creating an image gave {(int)response.StatusCode}: {json.ToJsonString()}");
        return (Guid)json["id"]!;
    }

    public async Task<JsonObject> StatusAsync(Guid id)
    {
        using var response = await Http.GetAsync($"/api/v1/images/{id}");
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET image gave {(int)response.StatusCode}: {json.ToJsonString()}");
        return json["status"]!.AsObject();
    }

    public async Task<string?> PhaseAsync(Guid id) => (string?)(await StatusAsync(id))["phase"];

    /// <summary>Polls the image's status until <paramref name="done"/> holds; the timeout message shows the last status.</summary>
    public async Task<JsonObject> WaitForStatusAsync(Guid id, Func<JsonObject, bool> done, string what, int seconds = 15)
    {
        JsonObject? last = null;
        try
        {
            return await Eventually.WaitForAsync(async () =>
            {
                last = await StatusAsync(id);
                return done(last) ? last : null;
            }, TimeSpan.FromSeconds(seconds), $"image {id} {what}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last status: {last?.ToJsonString()}", e);
        }
    }

    public Task<JsonObject> WaitForPhaseAsync(Guid id, string phase, int seconds = 15) =>
        WaitForStatusAsync(id, s => (string?)s["phase"] == phase, $"to reach phase {phase}", seconds);

    /// <summary>PUTs <paramref name="content"/> as the image's content, with optional Content-Range and checksum.</summary>
    public async Task<HttpResponseMessage> PutAsync(Guid id, HttpContent content, string? sha256Header = null, string query = "",
        ContentRangeHeaderValue? range = null, bool expectContinue = false, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/images/{id}/content{query}") { Content = content };
        if (sha256Header is not null) request.Headers.TryAddWithoutValidation("X-Content-SHA256", sha256Header);
        if (range is not null) content.Headers.ContentRange = range;
        if (expectContinue) request.Headers.ExpectContinue = true;
        return await Http.SendAsync(request, ct);
    }

    public Task<HttpResponseMessage> PutBytesAsync(Guid id, byte[] bytes, string? sha256Header = null, string query = "") =>
        PutAsync(id, new ByteArrayContent(bytes), sha256Header, query);

    public async Task<HttpResponseMessage> HeadAsync(Guid id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, $"/api/v1/images/{id}/content");
        return await Http.SendAsync(request);
    }

    public static long BytesReceived(HttpResponseMessage response) =>
        long.Parse(response.Headers.GetValues("X-Bytes-Received").Single(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>No partial content, checksum or arrived content is left for the image.</summary>
    public void AssertNothingLeft(Guid id)
    {
        Assert.False(File.Exists(Files.PartPath(id)), "partial content was left behind");
        Assert.False(File.Exists(Files.ExpectedPath(id)), "an expected checksum was left behind");
        Assert.False(File.Exists(Files.ArrivedPath(id)), "arrived content exists");
    }

    public static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}

/// <summary>Deals out bytes, and (if told) stops after a number of them until released or aborted: a client cut off mid-way.</summary>
public sealed class ControlledStream(byte[] bytes, int pauseAfter = int.MaxValue) : Stream
{
    private readonly TaskCompletionSource _reachedPause = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _resume = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _position;

    /// <summary>Completes when the stream has handed out everything before the pause.</summary>
    public Task ReachedPause => _reachedPause.Task;

    /// <summary>How many bytes were read from it.</summary>
    public int Handed => _position;

    public void Resume() => _resume.TrySetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position == pauseAfter)
        {
            _reachedPause.TrySetResult();
            await _resume.Task.WaitAsync(cancellationToken);
        }
        var end = Math.Min(bytes.Length, _position < pauseAfter ? pauseAfter : bytes.Length);
        var n = Math.Min(buffer.Length, end - _position);
        bytes.AsMemory(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
