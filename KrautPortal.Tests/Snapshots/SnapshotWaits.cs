using System.Text.Json.Nodes;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Snapshots;

/// <summary>Waits on a snapshot's record through the API, for the snapshot tests on real and simulated hosts.</summary>
internal static class SnapshotWaits
{
    /// <summary>Reads the snapshot until <paramref name="condition"/> holds; returns that record, or times out naming the last one seen.</summary>
    internal static async Task<JsonObject> WaitForAsync(HttpClient http, Guid snapshot, Func<JsonObject, bool> condition, TimeSpan timeout, string what)
    {
        JsonObject? last = null;
        try
        {
            await Eventually.WaitUntilAsync(async () =>
            {
                last = JsonNode.Parse(await http.GetStringAsync($"/api/v1/snapshots/{snapshot}"))!.AsObject();
                return condition(last);
            }, timeout, what);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Waiting for {what}; last seen: {last?.ToJsonString()}");
        }
        return last!;
    }
}
