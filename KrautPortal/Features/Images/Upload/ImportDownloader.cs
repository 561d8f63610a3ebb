using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Images.Upload;

/// <summary>A download that could not be made, in words (the server's answer, a timeout, a bad redirect).</summary>
public sealed class ImportFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// GETs an import URL so that only addresses <see cref="ImportAddressPolicy"/> permits are ever connected to: the name
/// is resolved here and the socket connects to the checked address (a second lookup cannot switch it), no proxy,
/// redirects followed by hand (at most <see cref="MaxRedirects"/>) with every target checked again.
/// </summary>
public sealed class ImportDownloader : IDisposable
{
    public const int MaxRedirects = 5;

    private readonly ImportAddressPolicy _policy;
    private readonly TimeSpan _stall;
    private readonly HttpClient _http;
    private readonly ILogger _logger;

    public ImportDownloader(ImportAddressPolicy policy, IOptions<ImagesOptions> options, ILogger<ImportDownloader>? logger = null)
    {
        _policy = policy;
        _logger = logger ?? NullLogger<ImportDownloader>.Instance;
        _stall = TimeSpan.FromSeconds(Math.Max(1, options.Value.ImportStallSeconds));
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = _stall,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = ConnectAsync,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("Kraut-Computing-image-import/1.0");
    }

    public TimeSpan StallTimeout => _stall;

    /// <summary>The response (headers read, body not yet) of the URL or where it redirects to; a success status, or an exception.</summary>
    public async Task<HttpResponseMessage> GetAsync(Uri url, CancellationToken ct)
    {
        for (var redirects = 0; ; redirects++)
        {
            _policy.CheckUrl(url);
            var response = await SendAsync(url, ct);
            var status = (int)response.StatusCode;
            if (status is 301 or 302 or 303 or 307 or 308)
            {
                var location = response.Headers.Location;
                response.Dispose();
                if (location is null) throw new ImportFailedException($"{url} answered {status} (a redirect) without saying where to.");
                if (redirects == MaxRedirects)
                    throw new ImportRefusedException($"The URL redirected more than {MaxRedirects} times (the last to {Describe(url)}); Kraut stops there.");
                url = location.IsAbsoluteUri ? location : new Uri(url, location);
                continue;
            }
            if (!response.IsSuccessStatusCode)
            {
                var reason = response.ReasonPhrase;
                response.Dispose();
                throw new ImportFailedException($"{Describe(url)} answered {status} {reason}.");
            }
            return response;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Uri url, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var headers = CancellationTokenSource.CreateLinkedTokenSource(ct);
        headers.CancelAfter(_stall);
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headers.Token);
        }
        catch (HttpRequestException e) when (FindRefusal(e) is { } refusal)
        {
            throw refusal;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            // One sentence for a closed port, a service that does not speak HTTP and one that never answers:
            // otherwise the status of an import is a port scanner. The difference is for the log only.
            _logger.LogInformation(e, "Import from {Url} got no HTTP answer", Describe(url));
            throw new ImportFailedException(CouldNotFetch, e);
        }
    }

    /// <summary>
    /// What a user reads when no HTTP answer came, whatever the reason; without the port, which the status shows
    /// anyway, so that two failures read the same.
    /// </summary>
    public const string CouldNotFetch = "Could not fetch the URL: no HTTP answer came from its server. Check the URL; the portal's log has the details.";

    /// <summary>
    /// Connects to an address the policy permits for this host: resolved here, checked, and checked again as the
    /// socket's actual remote end.
    /// </summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await ImportAddressPolicy.ResolveAsync(host, ct);
        var permitted = addresses.Where(a => _policy.Permits(host, a)).ToList();
        if (permitted.Count == 0) throw new ImportRefusedException(_policy.Refusal(host, addresses[0]));

        SocketException? failure = null;
        foreach (var address in permitted)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
                if (socket.RemoteEndPoint is not IPEndPoint remote || !_policy.Permits(host, remote.Address))
                    throw new ImportRefusedException(_policy.Refusal(host, (socket.RemoteEndPoint as IPEndPoint)?.Address ?? address));
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                failure = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw failure!;
    }

    private static ImportRefusedException? FindRefusal(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is ImportRefusedException refused) return refused;
        }
        return null;
    }

    /// <summary>Scheme, host and port: enough to say where, without repeating a long query string.</summary>
    private static string Describe(Uri url) => url.GetLeftPart(UriPartial.Authority);

    public void Dispose() => _http.Dispose();
}

/// <summary>A read that gets nothing for <c>stall</c> fails with a <see cref="TimeoutException"/>: a server that stops sending cannot hold an import forever.</summary>
public sealed class StallGuardStream(Stream inner, TimeSpan stall) : Stream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(stall);
        try
        {
            return await inner.ReadAsync(buffer, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No data arrived for {stall.TotalSeconds:0} seconds, so the download was stopped.");
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read asynchronously");
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
