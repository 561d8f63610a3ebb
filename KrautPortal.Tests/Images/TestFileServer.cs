using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KrautPortal.Tests.Images;

/// <summary>
/// A small HTTP server for import tests, on 127.0.0.1 and [::1] (each its own port): files with and without
/// Content-Length, redirect chains, a server that stalls, one that trickles, and a record of what was asked.
/// </summary>
public sealed class TestFileServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _files = new();
    private readonly ConcurrentQueue<string> _requests = new();

    private TestFileServer(WebApplication app) => _app = app;

    /// <summary>http://127.0.0.1:port</summary>
    public Uri V4 { get; private set; } = null!;

    /// <summary>http://[::1]:port</summary>
    public Uri V6 { get; private set; } = null!;

    /// <summary>Paths asked for, with the address they were asked on: "127.0.0.1 /file/x".</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    public static async Task<TestFileServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, 0);
            o.Listen(IPAddress.IPv6Loopback, 0);
        });
        var app = builder.Build();
        var server = new TestFileServer(app);
        server.Map(app);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        server.V4 = new Uri(addresses.Single(a => a.Contains("127.0.0.1", StringComparison.Ordinal)));
        server.V6 = new Uri(addresses.Single(a => a.Contains("[::1]", StringComparison.Ordinal)));
        return server;
    }

    /// <summary>Serves <paramref name="bytes"/> at /file/{name} (with Content-Length) and /chunked/{name} (without).</summary>
    public string Add(string name, byte[] bytes)
    {
        _files[name] = bytes;
        return name;
    }

    private void Map(WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            _requests.Enqueue($"{http.Connection.LocalIpAddress} {http.Request.Path}{http.Request.QueryString}");
            await next(http);
        });
        app.MapGet("/file/{name}", (string name) => _files.TryGetValue(name, out var bytes)
            ? Results.Bytes(bytes, "application/octet-stream")
            : Results.NotFound());
        app.MapGet("/chunked/{name}", async (string name, HttpContext http) =>
        {
            if (!_files.TryGetValue(name, out var bytes))
            {
                http.Response.StatusCode = 404;
                return;
            }
            http.Response.ContentType = "application/octet-stream";
            for (var offset = 0; offset < bytes.Length; offset += 64 * 1024)
            {
                await http.Response.Body.WriteAsync(bytes.AsMemory(offset, Math.Min(64 * 1024, bytes.Length - offset)), http.RequestAborted);
            }
        });
        // 256 MiB without Content-Length, made up as it goes.
        app.MapGet("/endless", async (HttpContext http) =>
        {
            http.Response.ContentType = "application/octet-stream";
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)1);
            try
            {
                for (var i = 0; i < 4096; i++) await http.Response.Body.WriteAsync(chunk, http.RequestAborted);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // the client hung up
            }
        });
        // /hops/3/x redirects to /hops/2/x, … /hops/0/x to /file/x.
        app.MapGet("/hops/{count:int}/{name}", (int count, string name) =>
            Results.Redirect(count == 0 ? $"/file/{name}" : $"/hops/{count - 1}/{name}"));
        app.MapGet("/redirect", (string to) => Results.Redirect(to));
        // Some bytes, then nothing for 10 s.
        app.MapGet("/stall", async (HttpContext http) =>
        {
            http.Response.ContentLength = 1 << 20;
            await http.Response.Body.WriteAsync(new byte[64 * 1024], http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
            await Task.Delay(TimeSpan.FromSeconds(10), http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        // A slow, steady download: 16 KiB every 20 ms, for 5 s or until the client goes away.
        app.MapGet("/trickle", async (HttpContext http) =>
        {
            http.Response.ContentType = "application/octet-stream";
            var chunk = new byte[16 * 1024];
            Array.Fill(chunk, (byte)7);
            try
            {
                for (var i = 0; i < 250; i++)
                {
                    await http.Response.Body.WriteAsync(chunk, http.RequestAborted);
                    await http.Response.Body.FlushAsync(http.RequestAborted);
                    await Task.Delay(20, http.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                // the importer went away
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        using var quickly = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _app.StopAsync(quickly.Token);
        await _app.DisposeAsync();
    }
}
