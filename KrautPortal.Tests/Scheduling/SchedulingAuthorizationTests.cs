using System.Net;
using System.Net.Http.Json;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Scheduling;

/// <summary>
/// The authorization rows of the scheduling endpoints (the matrix defers to these): the preview answers whoever may create
/// a VM, as create does; cordon and uncordon answer administrators only; nobody without credentials.
/// </summary>
public sealed class SchedulingAuthorizationTests(SpreadPortal portal) : IClassFixture<SpreadPortal>
{
    [Fact]
    public async Task PlacementPreview_AnswersAUserWhoMayCreate_AndNobodyWithoutCredentials()
    {
        var body = await portal.VmBodyAsync(ApiClient.UniqueName("auth"), 256);

        using var user = await portal.User.PostAsJsonAsync("/api/v1/vms/placement-preview", body);
        Assert.Equal(HttpStatusCode.OK, user.StatusCode);
        Assert.NotNull((await ApiClient.ReadAsync(user))["host"]);

        using var anonymousClient = portal.App.CreateAnonymousClient();
        using var anonymous = await anonymousClient.PostAsJsonAsync("/api/v1/vms/placement-preview", body);
        await ApiClient.AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized, "No credentials");
    }

    [Fact]
    public async Task PlacementPreview_ChecksTheBodyAsCreateDoes()
    {
        var body = await portal.VmBodyAsync(ApiClient.UniqueName("auth"), 999_999);
        using var refused = await portal.User.PostAsJsonAsync("/api/v1/vms/placement-preview", body);
        await ApiClient.AssertProblemAsync(refused, HttpStatusCode.UnprocessableEntity, "spec.memoryMiB");
    }

    [Theory]
    [InlineData("cordon")]
    [InlineData("uncordon")]
    public async Task CordonAndUncordon_AreForAdministratorsOnly(string verb)
    {
        var id = await portal.HostIdAsync(portal.SmallHost);

        using var user = await portal.User.PostAsync($"/api/v1/hosts/{id}/{verb}", null);
        await ApiClient.AssertProblemAsync(user, HttpStatusCode.Forbidden, $"Only administrators may {verb} a host");

        using var anonymousClient = portal.App.CreateAnonymousClient();
        using var anonymous = await anonymousClient.PostAsync($"/api/v1/hosts/{id}/{verb}", null);
        await ApiClient.AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized, "No credentials");

        using var unknown = await portal.Admin.PostAsync($"/api/v1/hosts/000000000000/{verb}", null);
        await ApiClient.AssertProblemAsync(unknown, HttpStatusCode.NotFound, "There is no host with id");

        // Nothing changed by the refusals: the host is not cordoned.
        Assert.DoesNotContain("cordoned", (await portal.PreviewAsync(await portal.VmBodyAsync(ApiClient.UniqueName("auth"), 256))).ToJsonString(),
            StringComparison.Ordinal);
    }
}
