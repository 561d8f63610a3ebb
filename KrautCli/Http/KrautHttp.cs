using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautCli.Cli;
using KrautCli.Config;

namespace KrautCli.Http;

/// <summary>A portal's answer: status, JSON body (if any) and ETag version.</summary>
public sealed record ApiResponse(int Status, JsonNode? Body, string? ETag);

/// <summary>
/// The CLI's one HTTP client. Reads are always sent; a change (<see cref="ChangeAsync"/>) is printed instead of sent
/// under --dry-run. Errors become <see cref="CliException"/> with the API's problem+json sentence and field names.
/// </summary>
public sealed class KrautHttp(Remote remote, bool dryRun, TextWriter output) : IDisposable
{
    public const string MergePatch = "application/merge-patch+json";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly HttpClient _http = new() { BaseAddress = remote.Url, Timeout = TimeSpan.FromSeconds(100) };

    // Uploads and downloads last as long as the bytes take; a cut connection still ends them.
    private readonly Lazy<HttpClient> _transfers = new(() => new HttpClient { BaseAddress = remote.Url, Timeout = Timeout.InfiniteTimeSpan });

    public Remote Remote => remote;

    public Task<ApiResponse> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, null, null, ct);

    /// <summary>A request that changes something; null under --dry-run, where it is printed instead.</summary>
    public async Task<ApiResponse?> ChangeAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct,
        string contentType = "application/json", long? ifMatch = null)
    {
        if (!dryRun) return await SendAsync(method, path, body, contentType, ifMatch, ct);
        output.WriteLine(Describe(method, path, body, contentType, ifMatch));
        return null;
    }

    /// <summary>The request as it would go on the wire, the token masked.</summary>
    public string Describe(HttpMethod method, string path, JsonNode? body, string contentType, long? ifMatch)
    {
        var text = new StringBuilder();
        text.Append(method.Method).Append(' ').Append(new Uri(remote.Url, path)).Append('\n');
        if (remote.Token is not null) text.Append("Authorization: Bearer ***\n");
        text.Append("Accept: application/json\n");
        if (ifMatch is not null) text.Append("If-Match: \"").Append(ifMatch.Value).Append("\"\n");
        if (body is not null) text.Append("Content-Type: ").Append(contentType).Append("\n\n").Append(body.ToJsonString(Indented)).Append('\n');
        return text.ToString();
    }

    private async Task<ApiResponse> SendAsync(HttpMethod method, string path, JsonNode? body, string? contentType, long? ifMatch, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (remote.Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", remote.Token);
        request.Headers.Accept.ParseAdd("application/json");
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", $"\"{ifMatch.Value}\"");
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, contentType ?? "application/json");
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"Cannot reach {remote.Url} (remote {remote.Name}): {e.Message}", ExitCodes.Failed);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"{remote.Url} did not answer within {_http.Timeout.TotalSeconds:0} seconds.", ExitCodes.Failed);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var json = ParseOrNull(text);
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode) throw Problem(status, json, text, method, path);
            var etag = response.Headers.ETag?.Tag.Trim('"');
            return new ApiResponse(status, json, etag);
        }
    }

    /// <summary>
    /// A request the caller builds (a streamed body, its own headers) and whose answer it reads itself: sent with the
    /// token, without a time limit; an error status still becomes the API's sentence.
    /// </summary>
    public async Task<HttpResponseMessage> TransferAsync(HttpRequestMessage request, CancellationToken ct,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, int? alsoAccept = null)
    {
        if (remote.Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", remote.Token);
        request.Headers.Accept.ParseAdd("application/json");
        HttpResponseMessage response;
        try
        {
            response = await _transfers.Value.SendAsync(request, completion, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"The connection to {remote.Url} (remote {remote.Name}) broke: {e.Message}", ExitCodes.Failed);
        }
        if (response.IsSuccessStatusCode || (int)response.StatusCode == alsoAccept) return response;
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            throw Problem((int)response.StatusCode, ParseOrNull(text), text, request.Method, request.RequestUri?.ToString() ?? "");
        }
    }

    private static JsonNode? ParseOrNull(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The API's own sentence (title: detail) and its field errors, one line per field. A detail that only repeats
    /// the field errors (validation problems do) is left out, so each message is printed once.
    /// </summary>
    private static CliException Problem(int status, JsonNode? json, string text, HttpMethod method, string path)
    {
        var title = (string?)json?["title"];
        var detail = (string?)json?["detail"];
        var details = new List<string>();
        if (json?["errors"] is JsonObject errors)
        {
            foreach (var (field, messages) in errors)
            {
                var lines = messages is JsonArray list ? list.Select(m => (string?)m) : [messages?.ToString()];
                foreach (var line in lines)
                {
                    details.Add($"{field}: {line}");
                    if (detail is not null && line is { Length: > 0 } && detail.Contains(line, StringComparison.Ordinal)) detail = null;
                }
            }
        }
        var sentence = (title, detail) switch
        {
            (not null, not null) => $"{title}: {detail}",
            (not null, null) => title,
            (null, not null) => detail,
            _ => $"{method.Method} {path} answered {status}{(text.Length is > 0 and < 300 ? ": " + text.Trim() : "")}",
        };
        if (status == 401) sentence += " (check the remote's token: `kraut remote list`)";
        return new CliException(sentence, ExitCodes.ForStatus(status), details, status);
    }

    public void Dispose()
    {
        _http.Dispose();
        if (_transfers.IsValueCreated) _transfers.Value.Dispose();
    }
}
