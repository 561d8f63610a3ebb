using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features.Hosts;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Consoles;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Moves;

/// <summary>
/// A portal with two real hosts: this machine's libvirtd (<c>qemu:///system</c>, disks as files in the data directory)
/// and a <see cref="SimulatedHost"/> over <c>qemu+tcp://</c> (disks as volumes of its pool; it cannot see the portal's data
/// directory). Shared by the tests of one class; each test leaves the hosts uncordoned.
/// </summary>
public class MoveHostsPortal : IAsyncLifetime, IDisposable
{
    public static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(120);
    private readonly string _dataDirectory;

    public MoveHostsPortal()
    {
        Tool.PackagedFile("/usr/bin/qemu-system-x86_64", "qemu-system-x86");
        Tool.PackagedFile("/usr/bin/nsenter", "util-linux");
        Tool.PackagedFile("/usr/bin/qemu-img", "qemu-utils");
        _dataDirectory = Directory.CreateTempSubdirectory("kraut-test-").FullName;
        SeedImages.Put(_dataDirectory, SeedImages.Guest);
    }

    public const string Local = TestHosts.System;

    public SimulatedHost Host { get; private set; } = null!;

    public Portal Web { get; private set; } = null!;

    public string Remote => Host.Uri;

    public async Task InitializeAsync()
    {
        Host = await SimulatedHost.StartAsync([_dataDirectory]);
        Web = new Portal(Host.Uri, _dataDirectory);
        // Both hosts reached before any test places a VM: placement refuses a host whose facts are not in yet.
        await Eventually.WaitUntilAsync(async () => JsonNode.Parse(await Web.God.GetStringAsync("/api/v1/hosts"))!.AsArray()
            .All(h => (bool)h!["reachable"]!), TimeSpan.FromSeconds(60), "both hosts reachable");
    }

    /// <summary>A VM of alice's on <paramref name="host"/> (the other host cordoned while it is placed), 1 GiB disk.</summary>
    public async Task<Guid> VmOnAsync(string host, bool running)
    {
        var other = host == Local ? Remote : Local;
        await CordonAsync(other, true);
        Guid id;
        try
        {
            var body = new JsonObject
            {
                ["name"] = ApiClient.UniqueName("move"),
                ["owner"] = "alice",
                ["spec"] = new JsonObject
                {
                    ["imageId"] = (await Web.Api.IdOfAsync("images", "kraut-test-guest")).ToString(),
                    ["machineTypeId"] = (await Web.Api.IdOfAsync("machine-types", "small")).ToString(),
                    ["memoryMiB"] = 256,
                    ["diskGiB"] = 1,
                    ["power"] = running ? "running" : "stopped",
                    ["nics"] = new JsonArray(new JsonObject { ["networkId"] = (await Web.Api.IdOfAsync("networks", "default")).ToString() }),
                },
            };
            id = await Web.Api.CreateAsync("vms", body);
        }
        finally
        {
            await CordonAsync(other, false);
        }
        await Web.Api.WaitForPhaseAsync(id, running ? "running" : "stopped", running ? Boot : Settle);
        Assert.Equal(host, (string?)(await VmAsync(id))["status"]!["host"]);
        return id;
    }

    public async Task CordonAsync(string host, bool cordon)
    {
        using var response = await Web.God.PostAsync($"/api/v1/hosts/{HostIds.For(host)}/{(cordon ? "cordon" : "uncordon")}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public async Task<JsonObject> VmAsync(Guid id) => JsonNode.Parse(await Web.God.GetStringAsync($"/api/v1/vms/{id}"))!.AsObject();

    public async Task<HttpResponseMessage> MoveAsync(Guid id, string? host) =>
        await Web.God.PostAsJsonAsync($"/api/v1/vms/{id}/move", host is null ? new JsonObject() : new JsonObject { ["host"] = HostIds.For(host) });

    public async Task<JsonObject> WaitAsync(Guid id, Func<JsonObject, bool> condition, TimeSpan timeout, string what)
    {
        JsonObject? last = null;
        try
        {
            await Eventually.WaitUntilAsync(async () => condition(last = await VmAsync(id)), timeout, what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; last seen: {last?["status"]?.ToJsonString()}", e);
        }
        return last!;
    }

    /// <summary>The portal's pool directory on the simulated host, seen from this machine.</summary>
    public string PoolDirectory => Path.Combine(Host.DataDirectoryOutside, Web.App.Service<Features.Reconciling.KrautInstance>().ShortId);

    /// <summary>The files in the portal's pool directory on the simulated host.</summary>
    public IReadOnlyList<string> PoolFiles()
    {
        var pool = PoolDirectory;
        return Directory.Exists(pool) ? Directory.EnumerateFiles(pool).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList() : [];
    }

    /// <summary>Domain names defined on a host, asked with virsh (an independent client).</summary>
    public static IReadOnlyList<string> DomainsOn(string host)
    {
        var listed = Tool.Try("virsh", "-c", host, "list", "--all", "--name");
        Assert.Equal(0, listed.ExitCode);
        return listed.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>
    /// Types <paramref name="command"/> into the VM's serial console until <paramref name="expected"/> appears in what the
    /// console shows (a guest still booting has no shell yet).
    /// </summary>
    /// <returns>What the console showed meanwhile (the log's tail first).</returns>
    public async Task<string> TypeUntilAsync(Guid id, string command, string expected)
    {
        var ticket = (string)(await ConsolePortal.TicketAsync(Web.As("alice"), id))["ticket"]!;
        await using var viewer = await ConsoleViewer.OpenAsync(Web.SocketUri(id), ticket);
        var deadline = DateTime.UtcNow + Boot;
        while (true)
        {
            await viewer.TypeAsync(command + "\r");
            try
            {
                await viewer.WaitForOutputAsync(expected, TimeSpan.FromSeconds(5));
                return viewer.Output;
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline)
            {
                // no shell yet
            }
        }
    }

    /// <summary>Kills the simulated host's libvirtd (SIGKILL), as a host that stops answering; returns how to start it again.</summary>
    public Func<Task> KillDaemon()
    {
        var pids = Tool.Run("ip", "netns", "pids", Host.Namespace).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
        string Comm(int pid) => File.ReadAllText($"/proc/{pid}/comm").Trim();
        var daemon = pids.Single(p => Comm(p) == "libvirtd");
        // virtlogd stays: it keeps the host's mount namespace, in which libvirtd is started again.
        var logger = pids.First(p => Comm(p) == "virtlogd");
        var arguments = File.ReadAllText($"/proc/{daemon}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        using (var process = Process.GetProcessById(daemon))
        {
            process.Kill();
            process.WaitForExit(10_000);
        }
        return async () =>
        {
            Tool.Run("nsenter", ["--target", logger.ToString(CultureInfo.InvariantCulture), "--mount", "--net", .. arguments, "-d"]);
            await Eventually.WaitUntilAsync(async () => (await Tool.TryAsync("virsh", ["-c", Host.Uri, "uri"])).ExitCode == 0,
                TimeSpan.FromSeconds(30), "the simulated host's libvirtd answers again");
        };
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        // The data directory is the fixture's, so the portal leaves this machine's libvirtd to it: its domains go here.
        var instance = Web?.App.Service<Features.Reconciling.KrautInstance>().Id;
        Web?.Dispose();
        if (instance is not null) LibvirtCleanup.RemoveInstance(Local, instance);
        Host?.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // a temp directory
        }
    }

    /// <summary>The portal: real Kestrel (the serial console is a WebSocket); this machine's libvirtd first, the simulated host second.</summary>
    public sealed class Portal(string remote, string dataDirectory)
        : ConsolePortal(Local, SeedImages.Guest, new Dictionary<string, string?> { ["Kraut:Hosts:1"] = remote }, dataDirectory);
}

/// <summary>Its own simulated host and portal: its host's libvirtd is killed.</summary>
public sealed class UnreachableHostPortal : MoveHostsPortal;
