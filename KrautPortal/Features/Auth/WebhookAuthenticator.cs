using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Auth;

/// <summary>
/// Hands the header and the request's details to an operator's own service (<c>Auth:Webhook:Url</c>) and does
/// what it answers. No answer in time, an error, or an answer it cannot read is a refusal: it fails closed.
/// </summary>
public sealed class WebhookAuthenticator(HttpClient http, IOptions<AuthOptions> options, RoleMapper roles, ILogger<WebhookAuthenticator> logger) : IAuthenticator, IUserSource
{
    public string Name => "webhook";

    /// <summary>The webhook's protocol has no lookup: its users are trusted with their last groups for a while (<see cref="IdentityCheck"/>).</summary>
    public Task<UserLookup> LookupAsync(string user, CancellationToken ct) =>
        Task.FromResult<UserLookup>(new UserLookup.CannotTell("the webhook is not asked to look users up"));

    /// <summary>What the service answers: decision allow | deny | not-mine, and for allow who the caller is.</summary>
    public sealed record Answer(string Decision, string? User, IReadOnlyList<string>? Groups, string? Reason);

    public async Task<AuthResult> AuthenticateAsync(AuthRequest request, CancellationToken ct)
    {
        var settings = options.Value.Webhook;
        if (settings.Url is null) return new AuthResult.Deny("The webhook authenticator is in Auth:Chain but Auth:Webhook:Url is not set.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(settings.TimeoutMilliseconds);
        Answer? answer;
        try
        {
            using var response = await http.PostAsJsonAsync(settings.Url, request, JsonSerializerOptions.Web, timeout.Token);
            if (!response.IsSuccessStatusCode) return new AuthResult.Deny($"The authentication service answered {(int)response.StatusCode}.");
            answer = await response.Content.ReadFromJsonAsync<Answer>(JsonSerializerOptions.Web, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new AuthResult.Deny($"The authentication service did not answer within {settings.TimeoutMilliseconds} ms.");
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or NotSupportedException)
        {
            logger.LogWarning("Webhook authenticator failed: {Message}", e.Message);
            return new AuthResult.Deny("The authentication service could not be asked: " + e.Message);
        }
        return answer?.Decision switch
        {
            "allow" when !string.IsNullOrWhiteSpace(answer.User) => new AuthResult.Allow(roles.ActorFor(answer.User, answer.Groups ?? [], Name)),
            "deny" => new AuthResult.Deny(answer.Reason ?? "The authentication service refused."),
            "not-mine" => AuthResult.NotMine.Instance,
            _ => new AuthResult.Deny("The authentication service gave an answer Kraut cannot read (decision must be allow with a user, deny, or not-mine)."),
        };
    }
}
