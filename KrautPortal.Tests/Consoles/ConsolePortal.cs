using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using KrautPortal.Features.Consoles;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Consoles;

/// <summary>A clock the tests move forward: console tickets expire on it.</summary>
public sealed class ShiftedTime : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}

/// <summary>
/// A portal on real Kestrel (a WebSocket needs a real socket) with two people, alice and bob; on libvirt's test driver
/// by default (tickets and refusals need no guest), or on real libvirtd with the test guest. Console tickets run on a
/// clock the tests may move.
/// </summary>
public class ConsolePortal : IDisposable
{
    public static readonly IReadOnlyDictionary<string, string> Passwords = new Dictionary<string, string>
    {
        ["alice"] = "alice-Console-5b2e9d",
        ["bob"] = "bob-Console-7f31c4",
        ["dave"] = "dave-Console-2c8a61",
    };

    private readonly TempDir _dir = new();
    private readonly Dictionary<string, HttpClient> _people = [];

    public ConsolePortal() : this(KrautAppFactory.TestDriver, "blank", new Dictionary<string, string?>()) { }

    /// <param name="dataDirectory">A data directory the caller made and removes (null: a fresh one of the portal's own).</param>
    protected ConsolePortal(string hostUri, string seedImage, IDictionary<string, string?> settings, string? dataDirectory = null)
    {
        var users = UsersFile = _dir.File("htpasswd");
        foreach (var (user, password) in Passwords) HtpasswdTool.Set(users, "-B", user, password);
        settings["Auth:Htpasswd:File"] = users;
        App = new KrautAppFactory(hostUri, seedImage, settings, dataDirectory: dataDirectory, services: s => s.AddSingleton(new ConsoleTicketStore(Clock)));
        App.UseKestrel(0);
        App.StartServer();
        BaseAddress = new Uri(App.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        God = Client();
        God.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", TestCredentials.GodHeader);
        foreach (var (user, password) in Passwords)
        {
            var client = Client();
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", Basic(user, password));
            _people[user] = client;
        }
        Api = new KrautApi(God);
    }

    public KrautAppFactory App { get; }
    public Uri BaseAddress { get; }

    /// <summary>The portal's htpasswd file: alice, bob and dave.</summary>
    public string UsersFile { get; }

    /// <summary>The page origin of the portal itself (what its pages send as Origin).</summary>
    public string Origin => $"{BaseAddress.Scheme}://{BaseAddress.Authority}";

    public ShiftedTime Clock { get; } = new();

    /// <summary>The god token: an administrator.</summary>
    public HttpClient God { get; }

    public KrautApi Api { get; }

    public HttpClient As(string user) => _people[user];

    /// <summary>A client with no credentials.</summary>
    public HttpClient Client()
    {
        var client = App.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = BaseAddress, AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.Remove("Authorization");
        return client;
    }

    public HttpClient ClientWith(string authorization)
    {
        var client = Client();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        return client;
    }

    public static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    /// <summary>A VM of <paramref name="owner"/> (made by the god token for them); waits until it runs unless told it is stopped.</summary>
    public async Task<Guid> VmAsync(string owner, bool running = true, int memoryMiB = 256, TimeSpan? timeout = null)
    {
        var body = new JsonObject
        {
            ["name"] = ApiClient.UniqueName("console"),
            ["owner"] = owner,
            ["spec"] = new JsonObject
            {
                ["imageId"] = (await Api.IdOfAsync("images", "kraut-test-guest")).ToString(),
                ["machineTypeId"] = (await Api.IdOfAsync("machine-types", "small")).ToString(),
                ["memoryMiB"] = memoryMiB,
                ["power"] = running ? "running" : "stopped",
                ["nics"] = new JsonArray(new JsonObject { ["networkId"] = (await Api.IdOfAsync("networks", "default")).ToString() }),
            },
        };
        var id = await Api.CreateAsync("vms", body);
        await Api.WaitForPhaseAsync(id, running ? "running" : "stopped", timeout ?? TimeSpan.FromSeconds(60));
        return id;
    }

    /// <summary>A limited-scope token of <paramref name="user"/> on VMs with these verbs; returns its id and secret.</summary>
    public Task<(Guid Id, string Secret)> TokenAsync(string user, params string[] verbs) => TokenAsync(user, DateTime.UtcNow.AddDays(1), verbs);

    public async Task<(Guid Id, string Secret)> TokenAsync(string user, DateTime expiresAt, params string[] verbs)
    {
        var body = new JsonObject
        {
            ["name"] = ApiClient.UniqueName("console-token"),
            ["spec"] = new JsonObject
            {
                ["verbs"] = new JsonArray(verbs.Select(v => (JsonNode)v).ToArray()),
                ["kinds"] = new JsonArray("vms"),
                ["expiresAt"] = expiresAt.ToString("O"),
            },
        };
        using var response = await As(user).PostAsJsonAsync("/api/v1/tokens", body);
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"token: {(int)response.StatusCode} {json.ToJsonString()}");
        return ((Guid)json["token"]!["id"]!, (string)json["secret"]!);
    }

    /// <summary>Asks for a ticket; <paramref name="origin"/> is sent as the page's Origin.</summary>
    public static async Task<HttpResponseMessage> AskAsync(HttpClient client, Guid vmId, string type = "serial", string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/vms/{vmId}/console") { Content = ApiClient.Json(new JsonObject { ["type"] = type }) };
        if (origin is not null) request.Headers.TryAddWithoutValidation("Origin", origin);
        return await client.SendAsync(request);
    }

    /// <summary>A ticket, asserted issued: the answer's JSON.</summary>
    public static async Task<JsonObject> TicketAsync(HttpClient client, Guid vmId, string type = "serial", string? origin = null)
    {
        using var response = await AskAsync(client, vmId, type, origin);
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"ticket: {(int)response.StatusCode} {json.ToJsonString()}");
        return json;
    }

    public Uri SocketUri(Guid vmId, string type = "serial") => new UriBuilder(BaseAddress) { Scheme = "ws", Path = ConsoleUrls.PathFor(vmId, type) }.Uri;

    /// <summary>Opens the console's WebSocket offering <paramref name="ticket"/>, from <paramref name="origin"/> (none: no Origin header).</summary>
    public static async Task<ClientWebSocket> ConnectAsync(Uri uri, string? ticket, string? origin = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.AddSubProtocol(ConsoleUrls.Protocol);
        if (ticket is not null) socket.Options.AddSubProtocol(ConsoleUrls.TicketPrefix + ticket);
        if (origin is not null) socket.Options.SetRequestHeader("Origin", origin);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(uri, timeout.Token);
        return socket;
    }

    /// <summary>The status a refused WebSocket handshake was answered with.</summary>
    public static async Task<HttpStatusCode> RefusedAsync(Uri uri, string? ticket, string? origin = null, string? authorization = null)
    {
        var socket = new ClientWebSocket();
        if (authorization is not null) socket.Options.SetRequestHeader("Authorization", authorization);
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.AddSubProtocol(ConsoleUrls.Protocol);
        if (ticket is not null) socket.Options.AddSubProtocol(ConsoleUrls.TicketPrefix + ticket);
        if (origin is not null) socket.Options.SetRequestHeader("Origin", origin);
        using (socket)
        {
            await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));
            return socket.HttpStatusCode;
        }
    }

    /// <summary>A WebSocket handshake sent by hand, to read a refusal's problem+json (ClientWebSocket hides the body).</summary>
    public async Task<(int Status, string ContentType, JsonObject Body)> HandshakeAsync(Guid vmId, string type, string? ticket, string? origin)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(BaseAddress.Host, BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = new StringBuilder()
            .Append($"GET {ConsoleUrls.PathFor(vmId, type)} HTTP/1.1\r\nHost: {BaseAddress.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
            .Append($"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {Convert.ToBase64String(Guid.NewGuid().ToByteArray())}\r\n")
            .Append($"Sec-WebSocket-Protocol: {ConsoleUrls.Protocol}{(ticket is null ? "" : ", " + ConsoleUrls.TicketPrefix + ticket)}\r\n");
        if (origin is not null) head.Append($"Origin: {origin}\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()));
        var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int headEnd;
        while ((headEnd = IndexOf(buffer, "\r\n\r\n"u8)) < 0)
        {
            var read = await stream.ReadAsync(chunk);
            if (read == 0) throw new IOException("the portal closed the connection before answering");
            buffer.Write(chunk, 0, read);
        }
        var lines = Encoding.ASCII.GetString(buffer.GetBuffer(), 0, headEnd).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        string Header(string name) => lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            .Select(p => p[1].Trim()).FirstOrDefault() ?? "";
        var chunked = Header("Transfer-Encoding").Contains("chunked", StringComparison.OrdinalIgnoreCase);
        var length = int.TryParse(Header("Content-Length"), out var l) ? l : 0;
        bool Complete() => chunked ? IndexOf(buffer, "\r\n0\r\n\r\n"u8) >= 0 || buffer.Length == headEnd + 4 + 5 && IndexOf(buffer, "0\r\n\r\n"u8) == headEnd + 4
            : buffer.Length >= headEnd + 4 + length;
        while (!Complete())
        {
            var read = await stream.ReadAsync(chunk);
            if (read == 0) break;
            buffer.Write(chunk, 0, read);
        }
        var body = Encoding.UTF8.GetString(buffer.GetBuffer(), headEnd + 4, (int)buffer.Length - headEnd - 4);
        if (chunked) body = Dechunk(body);
        return (status, Header("Content-Type").Split(';')[0], body.Length == 0 ? [] : JsonNode.Parse(body)!.AsObject());
    }

    /// <summary>The body of a chunked answer (sizes in hex, each chunk followed by CRLF, a 0 chunk at the end).</summary>
    private static string Dechunk(string raw)
    {
        var body = new StringBuilder();
        var at = 0;
        while (true)
        {
            var end = raw.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = int.Parse(raw[at..end], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            if (size == 0) return body.ToString();
            body.Append(raw, end + 2, size);
            at = end + 2 + size + 2;
        }
    }

    private static int IndexOf(MemoryStream buffer, ReadOnlySpan<byte> needle) => buffer.GetBuffer().AsSpan(0, (int)buffer.Length).IndexOf(needle);

    public virtual void Dispose()
    {
        foreach (var client in _people.Values) client.Dispose();
        God.Dispose();
        App.Dispose();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }
}
