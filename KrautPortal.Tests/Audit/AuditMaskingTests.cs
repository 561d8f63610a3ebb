using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Audit;

/// <summary>Parameters are recorded, secrets are not: neither in the stored entry nor in what the search answers.</summary>
public sealed class AuditMaskingTests(ApiClient api) : IClassFixture<ApiClient>
{
    [Fact]
    public async Task SecretsInBodies_UserData_AndTokenSecrets_NeverReachTheTrail_ButTheRestOfTheParametersDo()
    {
        var run = ApiClient.UniqueName("mask");
        const string password = "hunter2-Pw-81c7";
        const string userDataSecret = "db-pass-5a9e";

        // A VM whose cloud-init user data carries a password.
        var body = await api.SampleAsync("vms", run);
        body["spec"]!["userData"] = $"#cloud-config\nchpasswd:\n  list: |\n    root:{userDataSecret}\n";
        var vm = await api.CreateAsync("vms", body);
        // Secret-looking fields anywhere in a body, even one the API refuses.
        using (var refused = await api.PostAsync("/api/v1/vms", new JsonObject
        {
            ["name"] = run + "-x",
            ["password"] = password,
            ["spec"] = new JsonObject { ["nested"] = new JsonArray(new JsonObject { ["apiKey"] = password, ["otpCode"] = password, ["keep"] = "visible-" + run }) },
        }))
            Assert.True((int)refused.StatusCode is >= 400 and < 500);
        // A token: its secret is only in the answer, which the trail never records.
        using var created = await api.PostAsync("/api/v1/tokens", Authorization.AuthorizationPortal.TokenBody(run, ["read"], ["vms"]));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var tokenSecret = (string)(await ApiClient.ReadAsync(created))["secret"]!;
        // A query string: a bulk action's selector is recorded, a secret-looking value is not.
        using (var bulk = await api.Http.PostAsync($"/api/v1/vms/actions/stop?selector=run%3D{run}&access_token={password}", null))
            Assert.Equal(HttpStatusCode.OK, bulk.StatusCode);
        // An image upload: its type and size, never its bytes.
        var image = await api.CreateAsync("images", await api.SampleAsync("images", run));
        var disk = System.Text.Encoding.ASCII.GetBytes("QFI-not-really-a-disk-" + run);
        using (var upload = await api.Http.PutAsync($"/api/v1/images/{image["id"]}/content",
            new ByteArrayContent(disk) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } }))
            Assert.True((int)upload.StatusCode < 500, $"upload: {(int)upload.StatusCode}");

        var entries = await AuditProbe.WaitForAsync(api.App, all => all.Count(e => e.Path.StartsWith("/api/v1/", StringComparison.Ordinal)
            && (e.Parameters?.Contains(run, StringComparison.Ordinal) == true || e.Path.Contains(run, StringComparison.Ordinal)
            || e.Path.Contains((string)image["id"]!, StringComparison.Ordinal))) >= 6 ? all : null,
            "the six calls' entries");
        var stored = string.Join("\n", entries.Select(e => e.Path + " " + e.Parameters));
        var answered = await api.Http.GetStringAsync("/api/v1/audit?limit=200&source=api");
        foreach (var secret in new[] { password, userDataSecret, tokenSecret, tokenSecret.Split('_')[^1], "QFI-not-really-a-disk" })
        {
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, answered, StringComparison.Ordinal);
        }

        var vmEntry = entries.Single(e => e.ObjectId == (Guid)vm["id"]! && e.Action == "create");
        var vmParameters = JsonNode.Parse(vmEntry.Parameters!)!;
        Assert.Equal("***", (string?)vmParameters["spec"]!["userData"]);
        Assert.Equal(run, (string?)vmParameters["name"]);
        var refusedEntry = entries.Single(e => e.Parameters?.Contains("visible-" + run, StringComparison.Ordinal) == true);
        Assert.Equal("refused", refusedEntry.Outcome);
        var refusedParameters = JsonNode.Parse(refusedEntry.Parameters!)!;
        Assert.Equal("***", (string?)refusedParameters["password"]);
        Assert.Equal("***", (string?)refusedParameters["spec"]!["nested"]![0]!["apiKey"]);
        Assert.Equal("***", (string?)refusedParameters["spec"]!["nested"]![0]!["otpCode"]);
        var bulkEntry = entries.Single(e => e.Route == "/api/v1/vms/actions/{action}" && e.Path.Contains(run, StringComparison.Ordinal));
        Assert.Equal($"/api/v1/vms/actions/stop?selector=run%3D{run}&access_token=***", bulkEntry.Path);
        var uploadEntry = entries.Single(e => e.Route == "/api/v1/images/{id}/content" && e.Method == "PUT");
        Assert.Equal($$"""{"contentType":"application/octet-stream","bytes":{{disk.Length}}}""", uploadEntry.Parameters);
    }
}
