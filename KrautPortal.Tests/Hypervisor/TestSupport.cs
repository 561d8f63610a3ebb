using KrautPortal.Hypervisor;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>Shared bits of the hypervisor tests: unique names, hostile strings, event waiting, cleanup.</summary>
internal static class TestSupport
{
    public const string TestUri = "test:///default";
    public const string SystemUri = "qemu:///system";

    /// <summary>Quotes, markup and entities: must survive every XML round trip untouched.</summary>
    public const string HostileName = "a'b\"<c>&d";

    /// <summary>Tries to close the metadata element and open a devices block.</summary>
    public const string HostileMetadata = "</metadata><devices><disk type='file'><source file='/etc/shadow'/></disk></devices><metadata>]]>&amp;";

    /// <summary>A libvirt-safe unique name: parallel runs and other sessions on the host never clash.</summary>
    public static string UniqueName(string kind = "") => $"kraut-test-{kind}{Guid.NewGuid():N}"[..32];

    public static string RandomMac() => $"52:54:00:{Random.Shared.Next(256):x2}:{Random.Shared.Next(256):x2}:{Random.Shared.Next(256):x2}";

    public static KrautDomainMetadata Metadata(string vmName = "web-1") =>
        new(Guid.NewGuid(), "inst-" + Guid.NewGuid().ToString("N")[..8], vmName, 3);

    public static async Task<DomainLifecycleEvent> WaitForEventAsync(
        DomainEventSubscription subscription, Guid uuid, DomainEventType type, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var seen = new List<string>();
        try
        {
            await foreach (var e in subscription.Reader.ReadAllAsync(cts.Token))
            {
                if (e.DomainUuid == uuid)
                {
                    seen.Add(e.Type.ToString());
                    if (e.Type == type)
                    {
                        return e;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        throw new TimeoutException($"No {type} event for {uuid} within {timeout}; saw [{string.Join(", ", seen)}].");
    }

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {what}.");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Best-effort removal of a domain by UUID, for finally blocks: never throws.</summary>
    public static void RemoveDomain(LibvirtConnection conn, Guid uuid)
    {
        try
        {
            using var dom = conn.FindDomain(uuid);
            if (dom is null)
            {
                return;
            }

            if (dom.IsActive)
            {
                dom.Destroy();
            }

            dom.Undefine();
        }
        catch (LibvirtException)
        {
        }
    }

    /// <summary>Best-effort removal of a network by name, for finally blocks: never throws.</summary>
    public static void RemoveNetwork(LibvirtConnection conn, string name)
    {
        try
        {
            using var net = conn.FindNetwork(name);
            if (net is null)
            {
                return;
            }

            if (net.IsActive)
            {
                net.Destroy();
            }

            if (net.IsPersistent)
            {
                net.Undefine();
            }
        }
        catch (LibvirtException)
        {
        }
    }

    public static DomainDefinition TestDriverDomain(string name, string title, KrautDomainMetadata metadata, string arch = "i686") =>
        new(
            Guid.NewGuid(),
            name,
            title,
            "test",
            arch,
            Emulator: null,
            Machine: null,
            Vcpus: 1,
            MemoryMiB: 128,
            Disks: [new DiskDefinition("/var/lib/kraut/images/" + name + ".qcow2", "qcow2", "vda", "virtio")],
            Nics: [new NicDefinition(RandomMac(), "default")],
            SerialLogPath: null,
            Metadata: metadata);
}
