using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;

namespace KrautPortal.Benchmarks.CreateToRunning;

/// <summary>Times of one VM brought up, in milliseconds. Null where a side has no such phase.</summary>
public sealed record CreateSample(
    double Total,
    double? GuestReady,
    double? BeforeOverlay,
    double Overlay,
    double Define,
    double Start,
    double FirstEventAfterStart,
    double StartToFirstEvent,
    double? Plan = null,
    double? Build = null,
    double? BeforeDefine = null);

/// <summary>One VM through Kraut's API: POST, poll until running, read the phase spans, delete, check it is gone.</summary>
public sealed class KrautRunner(PortalProcess portal, HttpClient client, Guid imageId, Guid machineTypeId, Guid networkId)
{
    private static readonly string[] Phases = [VmTelemetry.Overlay, VmTelemetry.Define, VmTelemetry.Start, VmTelemetry.FirstEvent];

    /// <summary>The domain type of the last VM ("qemu" is TCG, "kvm" is KVM).</summary>
    public string? DomainType { get; private set; }

    /// <param name="inactiveXml">Receives `virsh dumpxml --inactive` of the VM's domain while it exists.</param>
    public async Task<CreateSample> RunOnceAsync(int iteration, Action<string>? inactiveXml = null)
    {
        var body = new
        {
            name = $"bench-{iteration}-{Guid.NewGuid().ToString("N")[..6]}",
            metadata = new { bench = "create-to-running" },
            spec = new { imageId, machineTypeId, nics = new[] { new { networkId } } },
        };
        var t0Utc = DateTime.UtcNow;
        var t0 = Stopwatch.GetTimestamp();
        using var created = await client.PostAsJsonAsync("api/v1/vms", body);
        if (created.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST /api/v1/vms: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        JsonElement status;
        while (true)
        {
            status = (await client.GetFromJsonAsync<JsonElement>($"api/v1/vms/{id}")).GetProperty("status");
            var phase = status.GetProperty("phase").GetString();
            if (phase == "running") break;
            if (phase == "failed") throw new InvalidOperationException($"VM {id} failed: {status}\n{portal.Log}");
            if (Stopwatch.GetElapsedTime(t0) > TimeSpan.FromMinutes(2)) throw new TimeoutException($"VM {id} not running after 2 minutes: {status}");
            await Task.Delay(10);
        }
        var running = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        DomainType = status.TryGetProperty("domainType", out var type) ? type.GetString() : null;
        var ready = await GuestConsole.WaitForAsync(portal.ConsoleFor(id), t0, TimeSpan.FromMinutes(2));
        var spans = await WaitForSpansAsync(id);

        if (inactiveXml is not null)
            inactiveXml(await Tool.RunAsync("virsh", "-c", TestHosts.System, "dumpxml", "--inactive", VmBuilder.DomainName(id)));
        await DeleteAsync(id);

        var (overlay, define, start, firstEvent) = (spans[VmTelemetry.Overlay], spans[VmTelemetry.Define], spans[VmTelemetry.Start], spans[VmTelemetry.FirstEvent]);
        return new CreateSample(
            Total: running,
            GuestReady: ready,
            BeforeOverlay: (overlay.Start - t0Utc).TotalMilliseconds,
            Overlay: overlay.DurationMs,
            Define: define.DurationMs,
            Start: start.DurationMs,
            FirstEventAfterStart: firstEvent.DurationMs,
            StartToFirstEvent: (firstEvent.Start - start.Start).TotalMilliseconds + firstEvent.DurationMs,
            // Spans of the first pass (the VM's plan is made again on every later pass); absent in portals from before them.
            Plan: spans.TryGetValue(VmTelemetry.Plan, out var plan) ? plan.DurationMs : null,
            Build: spans.TryGetValue(VmTelemetry.Build, out var build) ? build.DurationMs : null,
            BeforeDefine: (define.Start - t0Utc).TotalMilliseconds);
    }

    /// <summary>Deletes through the API, waits for the 404, then checks libvirt and the disk directly.</summary>
    public async Task DeleteAsync(Guid id)
    {
        using var deleted = await client.DeleteAsync($"api/v1/vms/{id}");
        if (deleted.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.NoContent))
            throw new InvalidOperationException($"DELETE /api/v1/vms/{id}: {(int)deleted.StatusCode} {await deleted.Content.ReadAsStringAsync()}");
        await WaitUntilGoneAsync(client, $"api/v1/vms/{id}");
        using var connection = LibvirtConnection.Open(TestHosts.System);
        using var domain = connection.FindDomain(id);
        if (domain is not null) throw new InvalidOperationException($"Kraut deleted VM {id} but its domain is still defined");
        if (File.Exists(portal.DiskFor(id)) || File.Exists(portal.ConsoleFor(id)))
            throw new InvalidOperationException($"Kraut deleted VM {id} but its disk or console file is still there");
    }

    public static async Task WaitUntilGoneAsync(HttpClient client, string path)
    {
        var t0 = Stopwatch.GetTimestamp();
        while (true)
        {
            using var response = await client.GetAsync(path);
            if (response.StatusCode == HttpStatusCode.NotFound) return;
            if (Stopwatch.GetElapsedTime(t0) > TimeSpan.FromMinutes(2)) throw new TimeoutException($"{path} still exists 2 minutes after DELETE");
            await Task.Delay(50);
        }
    }

    private async Task<Dictionary<string, VmTraceLine>> WaitForSpansAsync(Guid id)
    {
        var t0 = Stopwatch.GetTimestamp();
        while (true)
        {
            var spans = ReadSpans(id);
            if (Phases.All(spans.ContainsKey)) return spans;
            if (Stopwatch.GetElapsedTime(t0) > TimeSpan.FromSeconds(30))
                throw new TimeoutException($"VM {id}: the trace file has only {string.Join(", ", spans.Keys)}");
            await Task.Delay(20);
        }
    }

    private Dictionary<string, VmTraceLine> ReadSpans(Guid id)
    {
        var spans = new Dictionary<string, VmTraceLine>();
        if (!File.Exists(portal.TraceFile)) return spans;
        using var stream = new FileStream(portal.TraceFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            // The writer may be in the middle of a line; only whole lines count.
            if (!line.EndsWith('}')) continue;
            var span = JsonSerializer.Deserialize<VmTraceLine>(line, JsonSerializerOptions.Web);
            if (span is not null && Guid.TryParse(span.VmId, out var vm) && vm == id) spans.TryAdd(span.Name, span);
        }
        return spans;
    }
}
