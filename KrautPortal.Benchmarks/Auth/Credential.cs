using System.Diagnostics;
using System.Net;

namespace KrautPortal.Benchmarks.Auth;

/// <summary>
/// One kind of credential: the Authorization header it sends (null for none), how many timed requests it gets, and
/// how the portal's audit log must name its decisions (so the run proves which authenticator answered).
/// </summary>
public sealed class Credential(string label, string? authorization, int requests, string? auditWho, string auditVia)
{
    private int _sent;

    public string Label => label;
    public string? Authorization => authorization;
    public int Requests => requests;
    public string? AuditWho => auditWho;
    public string AuditVia => auditVia;
    public string AuditDecision => authorization is null ? "deny" : "allow";
    public HttpStatusCode Expected => authorization is null ? HttpStatusCode.Unauthorized : HttpStatusCode.OK;

    /// <summary>Every request sent with it (warm-up and the concurrent run included), to compare with the audit log.</summary>
    public int Sent => _sent;

    /// <summary>
    /// One GET of <paramref name="path"/>, timed from sending until the whole body has arrived (SendAsync buffers
    /// it). Any other answer than the expected one ends the run: a refused password would also count towards
    /// the per-user throttle.
    /// </summary>
    public async Task<(double Ms, byte[] Body)> SendAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        var t0 = Stopwatch.GetTimestamp();
        using var response = await client.SendAsync(request);
        var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        Interlocked.Increment(ref _sent);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != Expected)
            throw new InvalidOperationException($"{label}: GET /{path} answered {(int)response.StatusCode}, expected {(int)Expected}: {System.Text.Encoding.UTF8.GetString(body)}");
        return (ms, body);
    }

    public override string ToString() => label;
}
