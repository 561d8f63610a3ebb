using System.Net;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Scheduling;

/// <summary>Strategy pack, and many creates at once: the small host fills first, and never past its memory ceiling.</summary>
public sealed class PackingTests(PackPortal portal) : IClassFixture<PackPortal>
{
    [Fact]
    public async Task Pack_FillsTheFullestHostFirst_ThenThirtyConcurrentCreatesNeverOverfillAHost()
    {
        // Pack: the small host (less room left) first.
        using (var first = await portal.CreateAsync(await portal.VmBodyAsync(ApiClient.UniqueName("pack"), 512)))
            Assert.Equal(portal.SmallHost, (string)(await ApiClient.ReadAsync(first))["spec"]!["host"]!);

        // 30 at once, 512 MiB each: 1.5 GiB on the small host and 2.5 GiB on the default one hold 8 in all (one is placed).
        var bodies = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => portal.VmBodyAsync(ApiClient.UniqueName("burst"), 512, nic: false)));
        var answers = await Task.WhenAll(bodies.Select(async b =>
        {
            using var response = await portal.CreateAsync(b);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        Assert.Equal(7, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Created), a =>
        {
            Assert.Equal(HttpStatusCode.Conflict, a.StatusCode);
            Assert.Contains("no-valid-host", a.Body, StringComparison.Ordinal);
            Assert.Contains("\"filter\":\"memory\"", a.Body, StringComparison.Ordinal);
        });
        var memory = await portal.MemoryByHostAsync();
        Assert.Equal(SchedulingPortal.SmallCeilingMiB, memory[portal.SmallHost]);
        Assert.Equal(SchedulingPortal.DefaultCeilingMiB, memory[SchedulingPortal.DefaultHost]);
    }
}
