using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Xml.Linq;
using KrautPortal.Benchmarks.Support;

namespace KrautPortal.Benchmarks.CreateToRunning;

/// <summary>
/// The same VM brought up by hand: qemu-img create, virsh define (Kraut's own domain XML with name, uuid,
/// MAC and paths changed), virsh start, then virsh domstate until running. A long-running
/// <c>virsh event --loop --event lifecycle</c> reports the first libvirt event, as Kraut's reconciler sees it.
/// </summary>
public sealed class VirshBaseline : IAsyncDisposable
{
    private const string Uri = TestHosts.System;
    private readonly string _template;
    private readonly string _backingImage;
    private readonly string _directory;
    private readonly string _seed;
    private readonly Process _events;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _waiting = new();
    private readonly Task _reader;

    /// <param name="krautDomainXml">`virsh dumpxml --inactive` of a domain Kraut defined.</param>
    /// <param name="backingImage">The image file Kraut's overlays are made on.</param>
    /// <param name="seed">A copy of that domain's cloud-init seed CD (see <see cref="CopySeed"/>), taken over and deleted at the end.</param>
    public VirshBaseline(string krautDomainXml, string backingImage, string seed)
    {
        _template = krautDomainXml;
        _seed = seed;
        _backingImage = backingImage;
        _directory = Directory.CreateTempSubdirectory("kraut-bench-baseline-").FullName;
        var start = new ProcessStartInfo("virsh") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", Uri, "event", "--loop", "--event", "lifecycle" }) start.ArgumentList.Add(a);
        _events = Process.Start(start) ?? throw new InvalidOperationException("could not start virsh event");
        _reader = Task.Run(ReadEventsAsync);
    }

    /// <summary>Waits until the event watcher demonstrably receives events, so no measured start can beat it.</summary>
    public async Task EnsureWatchingAsync()
    {
        var name = "kraut-bench-probe-" + RandomNumberGenerator.GetHexString(8, lowercase: true);
        var defined = Expect(name, "Defined");
        var xml = new XElement("domain", new XAttribute("type", "qemu"), new XElement("name", name), new XElement("memory", 65536),
            new XElement("os", new XElement("type", "hvm"))).ToString();
        var file = Path.Combine(_directory, name + ".xml");
        await File.WriteAllTextAsync(file, xml);
        for (var attempt = 0; attempt < 50 && !defined.IsCompleted; attempt++)
        {
            await Virsh("define", file);
            await Task.WhenAny(defined, Task.Delay(200));
            await Virsh("undefine", name);
        }
        File.Delete(file);
        if (!defined.IsCompleted) throw new TimeoutException("virsh event never reported an event");
    }

    public async Task<CreateSample> RunOnceAsync(int iteration)
    {
        var name = $"kraut-bench-baseline-{iteration}-{RandomNumberGenerator.GetHexString(6, lowercase: true)}";
        var uuid = Guid.NewGuid();
        var overlay = Path.Combine(_directory, uuid + ".qcow2");
        var console = Path.Combine(_directory, uuid + ".log");
        var xmlFile = Path.Combine(_directory, uuid + ".xml");
        await File.WriteAllTextAsync(xmlFile, Adapt(name, uuid, overlay, console));
        var started = Expect(name, "Started");

        var t0 = Stopwatch.GetTimestamp();
        double Since(long start) => Stopwatch.GetElapsedTime(t0, start).TotalMilliseconds;
        await Tool.RunAsync("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", _backingImage, overlay);
        var overlayDone = Since(Stopwatch.GetTimestamp());
        await Virsh("define", xmlFile);
        var defineDone = Since(Stopwatch.GetTimestamp());
        await Virsh("start", name);
        var startDone = Since(Stopwatch.GetTimestamp());
        while ((await Virsh("domstate", name)).Trim() != "running") await Task.Delay(10);
        var running = Since(Stopwatch.GetTimestamp());
        var firstEvent = Since(await started.WaitAsync(TimeSpan.FromSeconds(30)));
        // Not waited for: the guest's MAC is new to the network (no reservation, and the network hands out reserved
        // addresses only), so it never gets the lease it reports ready after; waiting would only add the timeout.
        double? ready = null;

        await RemoveAsync(name, overlay, console, xmlFile);
        return new CreateSample(
            Total: running,
            GuestReady: ready,
            BeforeOverlay: null,
            Overlay: overlayDone,
            Define: defineDone - overlayDone,
            Start: startDone - defineDone,
            FirstEventAfterStart: firstEvent - startDone,
            StartToFirstEvent: firstEvent - defineDone);
    }

    /// <summary>
    /// Copies the cloud-init seed CD of Kraut's domain to <paramref name="target"/> while that VM still exists: every
    /// domain by hand boots from this copy, made before any clock runs (Kraut's time includes writing its seed).
    /// </summary>
    public static void CopySeed(string krautDomainXml, string target)
    {
        var domain = XDocument.Parse(krautDomainXml).Root!;
        var uuid = (string)domain.Element("uuid")!;
        var seed = domain.Element("devices")!.Elements("disk")
            .Where(d => (string?)d.Attribute("device") == "cdrom")
            .Select(d => (string?)d.Element("source")?.Attribute("file"))
            .Single(f => f is not null && f.Contains(uuid, StringComparison.OrdinalIgnoreCase))!;
        File.Copy(seed, target, overwrite: true);
    }

    /// <summary>Kraut's domain with everything that names Kraut's VM replaced, so both boot the same machine.</summary>
    private string Adapt(string name, Guid uuid, string overlay, string console)
    {
        var doc = XDocument.Parse(_template);
        var domain = doc.Root!;
        var krautUuid = (string)domain.Element("uuid")!;
        domain.Attribute("id")?.Remove();
        domain.Element("name")!.Value = name;
        domain.Element("uuid")!.Value = uuid.ToString();
        // Kraut's metadata would make Kraut treat this domain as its own leftover.
        domain.Element("metadata")?.Remove();
        domain.Element("title")?.Remove();
        domain.Element("description")?.Remove();
        var devices = domain.Element("devices")!;
        foreach (var disk in devices.Elements("disk").Where(d => (string?)d.Attribute("device") == "disk"))
        {
            disk.Element("source")!.SetAttributeValue("file", overlay);
            disk.Element("backingStore")?.Remove();
        }
        foreach (var source in devices.Elements("disk").Where(d => (string?)d.Attribute("device") == "cdrom").Select(d => d.Element("source")))
        {
            if ((string?)source?.Attribute("file") is { } file && file.Contains(krautUuid, StringComparison.OrdinalIgnoreCase))
                source.SetAttributeValue("file", _seed);
        }
        foreach (var serial in devices.Elements("serial").Concat(devices.Elements("console")))
            serial.Element("source")?.SetAttributeValue("path", console);
        foreach (var nic in devices.Elements("interface"))
        {
            nic.Element("mac")?.SetAttributeValue("address", "52:54:00:" + string.Join(':', RandomNumberGenerator.GetBytes(3).Select(b => b.ToString("x2"))));
            nic.Element("target")?.Remove();
        }
        var xml = doc.ToString();
        if (xml.Contains(krautUuid, StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException("the baseline XML still names Kraut's VM:\n" + xml);
        return xml;
    }

    private static async Task RemoveAsync(string name, string overlay, string console, string xmlFile)
    {
        await Virsh("destroy", name);
        await Virsh("undefine", name);
        foreach (var file in new[] { overlay, console, xmlFile, $"/var/log/libvirt/qemu/{name}.log" }) File.Delete(file);
        var check = await Tool.TryAsync("virsh", ["-c", Uri, "domstate", name]);
        if (check.ExitCode == 0) throw new InvalidOperationException($"baseline domain {name} still exists after undefine");
    }

    private Task<long> Expect(string name, string eventName)
    {
        var waiting = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[name + "\n" + eventName] = waiting;
        return waiting.Task;
    }

    /// <summary>Lines look like: event 'lifecycle' for domain 'NAME': Started Booted</summary>
    private async Task ReadEventsAsync()
    {
        while (await _events.StandardOutput.ReadLineAsync() is { } line)
        {
            var now = Stopwatch.GetTimestamp();
            var open = line.IndexOf("domain '", StringComparison.Ordinal);
            var close = open < 0 ? -1 : line.IndexOf("': ", open + 8, StringComparison.Ordinal);
            if (close < 0) continue;
            var name = line[(open + 8)..close];
            var eventName = line[(close + 3)..].Split(' ')[0];
            if (_waiting.TryRemove(name + "\n" + eventName, out var waiting)) waiting.TrySetResult(now);
        }
    }

    private static async Task<string> Virsh(params string[] args) => await Tool.RunAsync("virsh", ["-c", Uri, .. args]);

    public async ValueTask DisposeAsync()
    {
        if (!_events.HasExited) _events.Kill();
        await _events.WaitForExitAsync();
        await _reader;
        _events.Dispose();
        Directory.Delete(_directory, recursive: true);
        File.Delete(_seed);
    }
}
