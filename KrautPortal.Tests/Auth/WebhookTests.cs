using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Auth;

/// <summary>The webhook authenticator against a real local HTTP service: allow, deny, not mine, timeout, garbage.</summary>
public sealed class WebhookTests : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<JsonElement> _received = new();
    private readonly KrautAppFactory _app;
    private readonly CancellationTokenSource _stop = new();

    public WebhookTests()
    {
        var port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
        _app = new KrautAppFactory(settings: new Dictionary<string, string?>
        {
            ["Auth:Chain:0"] = "god-token",
            ["Auth:Chain:1"] = "webhook",
            ["Auth:Webhook:Url"] = $"http://127.0.0.1:{port}/decide",
            // Long enough that a loaded CI machine's first (cold) call to the service is not a timeout; the slow
            // case below waits far longer still.
            ["Auth:Webhook:TimeoutMilliseconds"] = "3000",
            ["Auth:AdminGroups:0"] = "ops",
        });
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string authorization)
    {
        using var client = _app.CreateAnonymousClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        return await client.GetAsync(path);
    }

    [Fact]
    public async Task Allow_LetsTheCallerIn_AsTheUserTheServiceNames_WithTheRequestDetailsSent()
    {
        var response = await GetAsync("/api/v1/vms?selector=env%3Dprod", "Opaque allow-alice");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = _received.Last();
        Assert.Equal("Opaque allow-alice", sent.GetProperty("authorization").GetString());
        Assert.Equal("GET", sent.GetProperty("method").GetString());
        Assert.Equal("vms", sent.GetProperty("kind").GetString());
        Assert.Equal("env=prod", sent.GetProperty("selector").GetString());
    }

    [Fact]
    public async Task Allow_WithAnAdminGroup_MakesAnAdministrator_WithoutIt_AnOrdinaryUser()
    {
        var machineType = new { name = "wh-" + Guid.NewGuid().ToString("N")[..6], spec = new { architecture = "x86_64", vcpus = new { @default = 1, min = 1, max = 2 }, memoryMiB = new { @default = 512, min = 256, max = 1024 } } };
        using var admin = _app.CreateAnonymousClient();
        admin.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Opaque allow-root");
        using var user = _app.CreateAnonymousClient();
        user.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Opaque allow-alice");

        Assert.Equal(HttpStatusCode.Forbidden, (await user.PostAsJsonAsync("/api/v1/machine-types", machineType)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/machine-types", machineType)).StatusCode);
    }

    [Theory]
    [InlineData("Opaque deny", "not on the list")]
    [InlineData("Opaque not-mine", "not recognised")]
    [InlineData("Opaque slow", "did not answer within 3000 ms")]
    [InlineData("Opaque garbage", "could not be asked")]
    [InlineData("Opaque error", "answered 500")]
    public async Task Anything_ButAnAllow_IsA401_SayingWhy(string header, string reason)
    {
        var response = await GetAsync("/api/v1/vms", header);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reason, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var request = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.InputStream);
        _received.Enqueue(request);
        var header = request.GetProperty("authorization").GetString();
        object? answer = header switch
        {
            "Opaque allow-alice" => new { decision = "allow", user = "alice", groups = new[] { "devs" } },
            "Opaque allow-root" => new { decision = "allow", user = "root", groups = new[] { "ops" } },
            "Opaque deny" => new { decision = "deny", reason = "alice is not on the list" },
            "Opaque not-mine" => new { decision = "not-mine" },
            _ => null,
        };
        if (header == "Opaque slow")
        {
            try { await Task.Delay(20_000, _stop.Token); }
            catch (OperationCanceledException) { return; }
        }
        context.Response.StatusCode = header == "Opaque error" ? 500 : 200;
        var body = answer is null ? "this is not json" : JsonSerializer.Serialize(answer);
        var bytes = Encoding.UTF8.GetBytes(body);
        try
        {
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (HttpListenerException)
        {
            // Kraut gave up waiting (the timeout case).
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _app.Dispose();
        _stop.Dispose();
    }
}
