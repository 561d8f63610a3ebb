using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace KrautPortal.Hypervisor.Routers;

/// <summary>
/// <see cref="IRouterAgent"/> over the router domain's virtio-serial channel: QEMU listens on a Unix socket, the agent
/// (scripts/guest-image/router-agent.sh) reads the port <see cref="ChannelName"/> in the guest. One connection per
/// request, one request at a time per socket in this process, every request bounded by a timeout.
/// </summary>
/// <remarks>
/// Protocol: the request is <c>"&lt;id&gt; &lt;VERB&gt; &lt;n&gt;\n"</c> followed by exactly n bytes of payload; the answer
/// is <c>"&lt;id&gt; &lt;STATUS&gt; &lt;n&gt;\n"</c> followed by exactly n bytes of body, STATUS being OK, NONE or ERR (body:
/// one line saying why). The id is random per request and echoed: the guest's write of an answer whose asker gave up
/// waits for the next connection, so an answer with another id is skipped. Verbs: APPLY (payload: ruleset; body: its
/// sha256), LOADED (body: sha256 + "\n" + text; NONE before the first load, after a reboot, or when table inet kraut
/// was deleted by hand, so the caller applies again), COUNTERS (body: nft -j list table inet kraut), TABLES
/// (body: "family name" lines), SSH (payload: authorized_keys, empty stops the server; body: running|stopped),
/// SSHSTATUS (body: running|stopped). While the guest boots, QEMU accepts the connection but nobody reads it: that
/// ends in the timeout, as a <see cref="RouterAgentException"/>.
/// </remarks>
public sealed class RouterAgentClient(TimeSpan? timeout = null) : IRouterAgent
{
    /// <summary>The virtio-serial port name the agent looks for.</summary>
    public const string ChannelName = "org.kraut.agent";

    /// <summary>The most the agent reads as one payload (its own limit).</summary>
    public const int MaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>The most this client reads as one answer: counters of a big ruleset are well below.</summary>
    public const int MaxAnswerBytes = 16 * 1024 * 1024;

    private const int MaxHeaderBytes = 128;

    /// <summary>The default bound of one request, connect to last byte: a 200-rule apply under TCG takes seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    // Process-wide: two clients in one process must not interleave on one socket (QEMU serves one connection at a
    // time). One small semaphore per router socket ever used; routers are few.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    private readonly TimeSpan _timeout = timeout ?? DefaultTimeout;

    /// <summary>The domain channel a router VM needs for this client to reach its agent at <paramref name="socketPath"/>.</summary>
    public static ChannelDefinition Channel(string socketPath) => new(socketPath, ChannelName);

    public async Task<string> ApplyAsync(string socketPath, string ruleset, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ruleset);
        var answer = await RequestAsync(socketPath, "APPLY", Encoding.UTF8.GetBytes(ruleset), ct);
        var hash = answer.Ok().Trim();
        var sent = RulesetHash.Of(ruleset);
        if (hash != sent)
        {
            throw new RouterAgentException($"The router at {socketPath} reports ruleset {hash} loaded, but {sent} was sent.");
        }

        return hash;
    }

    public async Task<LoadedRuleset?> LoadedAsync(string socketPath, CancellationToken ct)
    {
        var answer = await RequestAsync(socketPath, "LOADED", [], ct);
        if (answer.Status == "NONE")
        {
            return null;
        }

        var body = answer.Ok();
        var newline = body.IndexOf('\n', StringComparison.Ordinal);
        if (newline != 64)
        {
            throw new RouterAgentException($"The router at {socketPath} answered LOADED without a hash line.");
        }

        return new LoadedRuleset(body[..newline], body[(newline + 1)..]);
    }

    public async Task<string> CountersJsonAsync(string socketPath, CancellationToken ct) =>
        (await RequestAsync(socketPath, "COUNTERS", [], ct)).Ok();

    public async Task<IReadOnlyList<string>> TablesAsync(string socketPath, CancellationToken ct) =>
        (await RequestAsync(socketPath, "TABLES", [], ct)).Ok().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public async Task SetSshKeysAsync(string socketPath, IReadOnlyList<string> authorizedKeys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(authorizedKeys);
        if (authorizedKeys.Any(k => string.IsNullOrWhiteSpace(k) || k.Contains('\n', StringComparison.Ordinal) || k.Contains('\r', StringComparison.Ordinal)))
        {
            // One key per line: a key with a line break could smuggle in a second one.
            throw new ArgumentException("An authorized key is empty or spans lines.", nameof(authorizedKeys));
        }

        var payload = authorizedKeys.Count == 0 ? "" : string.Join('\n', authorizedKeys) + "\n";
        var state = (await RequestAsync(socketPath, "SSH", Encoding.UTF8.GetBytes(payload), ct)).Ok().Trim();
        var expected = authorizedKeys.Count == 0 ? "stopped" : "running";
        if (state != expected)
        {
            throw new RouterAgentException($"The router at {socketPath} reports its SSH server {state}, expected {expected}.");
        }
    }

    /// <summary>Whether the router's SSH server runs and listens on port 22 (geek mode as the router sees it).</summary>
    public async Task<bool> SshRunningAsync(string socketPath, CancellationToken ct) =>
        (await RequestAsync(socketPath, "SSHSTATUS", [], ct)).Ok().Trim() == "running";

    private async Task<Answer> RequestAsync(string socketPath, string verb, byte[] payload, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(socketPath);
        if (payload.Length > MaxRequestBytes)
        {
            throw new RouterAgentException($"The {verb} request is {payload.Length} bytes; the router agent takes at most {MaxRequestBytes}.");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        var gate = Gates.GetOrAdd(socketPath, _ => new SemaphoreSlim(1, 1));
        try
        {
            await gate.WaitAsync(timeout.Token);
            try
            {
                return await ExchangeAsync(socketPath, verb, payload, timeout.Token);
            }
            finally
            {
                gate.Release();
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new RouterAgentException(
                $"The router agent at {socketPath} did not answer {verb} within {_timeout.TotalSeconds:0.#} s (is the router still booting?).");
        }
        catch (SocketException e)
        {
            throw new RouterAgentException($"Cannot reach the router agent at {socketPath} ({e.SocketErrorCode}): is the router VM running?");
        }
        catch (IOException e)
        {
            throw new RouterAgentException($"The connection to the router agent at {socketPath} broke during {verb}: {e.Message}");
        }
    }

    private static async Task<Answer> ExchangeAsync(string socketPath, string verb, byte[] payload, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{id} {verb} {payload.Length.ToString(CultureInfo.InvariantCulture)}\n"), ct);
        await stream.WriteAsync(payload, ct);
        await stream.FlushAsync(ct);

        var reader = new FrameReader(stream, socketPath);
        while (true)
        {
            var (answerId, status, length) = await reader.HeaderAsync(ct);
            var body = await reader.BodyAsync(length, ct);
            if (answerId == id)
            {
                return new Answer(socketPath, verb, status, Encoding.UTF8.GetString(body));
            }

            // An answer to an earlier request whose asker gave up: it was waiting for a connection, this one.
        }
    }

    private sealed record Answer(string SocketPath, string Verb, string Status, string Body)
    {
        public string Ok() => Status switch
        {
            "OK" => Body,
            "ERR" => throw new RouterAgentException(Body.Trim()),
            _ => throw new RouterAgentException($"The router agent at {SocketPath} answered {Verb} with {Status}."),
        };
    }

    /// <summary>Reads framed answers: a header line, then a body of the length it names.</summary>
    private sealed class FrameReader(NetworkStream stream, string socketPath)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<(string Id, string Status, int Length)> HeaderAsync(CancellationToken ct)
        {
            var line = new List<byte>(MaxHeaderBytes);
            while (true)
            {
                if (_start == _end)
                {
                    await FillAsync(ct);
                }

                var b = _buffer[_start++];
                if (b == (byte)'\n')
                {
                    break;
                }

                if (line.Count == MaxHeaderBytes)
                {
                    throw Garbled("an answer line longer than " + MaxHeaderBytes + " bytes");
                }

                line.Add(b);
            }

            var parts = Encoding.ASCII.GetString(line.ToArray()).Split(' ');
            if (parts.Length != 3 || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                throw Garbled($"the answer line '{Encoding.ASCII.GetString(line.ToArray())}'");
            }

            if (length > MaxAnswerBytes)
            {
                throw Garbled($"an answer of {length} bytes (at most {MaxAnswerBytes})");
            }

            return (parts[0], parts[1], length);
        }

        public async Task<byte[]> BodyAsync(int length, CancellationToken ct)
        {
            var body = new byte[length];
            var got = 0;
            while (got < length)
            {
                if (_start == _end)
                {
                    await FillAsync(ct);
                }

                var n = Math.Min(length - got, _end - _start);
                Array.Copy(_buffer, _start, body, got, n);
                _start += n;
                got += n;
            }

            return body;
        }

        private async Task FillAsync(CancellationToken ct)
        {
            _start = 0;
            _end = await stream.ReadAsync(_buffer, ct);
            if (_end == 0)
            {
                throw new RouterAgentException($"The router agent at {socketPath} closed the connection before answering.");
            }
        }

        private RouterAgentException Garbled(string what) => new($"The router agent at {socketPath} sent {what}.");
    }
}
