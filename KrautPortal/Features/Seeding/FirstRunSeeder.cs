using System.Net.NetworkInformation;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KrautPortal.Features.AddressPools;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;
using Microsoft.EntityFrameworkCore;
using Range = KrautPortal.Features.MachineTypes.Range;

namespace KrautPortal.Features.Seeding;

/// <summary>
/// On first run: a few machine types, a default isolated network with DHCP, and the small test guest as an
/// image, so a newcomer can create a VM at once. Each is seeded once; deleting it later is respected.
/// </summary>
public sealed class FirstRunSeeder(IServiceScopeFactory scopes, KrautPaths paths, HostRegistry hosts, ILogger<FirstRunSeeder> logger)
{
    public const string GuestImageFile = "kraut-guest.qcow2";

    /// <summary>The aarch64 test guest (<c>scripts/build-guest-image.sh --arch arm64</c>), registered when it is in the seed directory.</summary>
    public const string Arm64GuestImageFile = "kraut-guest-arm64.qcow2";
    public const string Arm64GuestImageName = "kraut-test-guest-arm64";

    public async Task SeedAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<KrautDbContext>();
        var store = services.GetRequiredService<ResourceStore>();

        await OnceAsync(db, "seeded:machine-types", () => SeedMachineTypesAsync(store, ct), ct);
        await OnceAsync(db, "seeded:networks", () => SeedNetworkAsync(store, ct), ct);
        await OnceAsync(db, "seeded:address-pools", () => SeedAddressPoolAsync(store, ct), ct);
        if (File.Exists(Path.Combine(paths.Seed, GuestImageFile)))
        {
            await OnceAsync(db, "seeded:images", () => SeedGuestImageAsync(store, services.GetRequiredService<ImageStorage>(), ct), ct);
        }
        if (File.Exists(Path.Combine(paths.Seed, Arm64GuestImageFile)))
        {
            await OnceAsync(db, "seeded:images-arm64", () => SeedArm64GuestImageAsync(store, services.GetRequiredService<ImageStorage>(), ct), ct);
        }
        // Not once: a rebuilt appliance is registered at the next start.
        if (File.Exists(Path.Combine(paths.Seed, RouterApplianceRegistry.ImageFile)))
        {
            await SeedRouterApplianceAsync(services.GetRequiredService<KindReader>(), store, services.GetRequiredService<ImageStorage>(), ct);
        }
    }

    private static async Task OnceAsync(KrautDbContext db, string key, Func<Task> seed, CancellationToken ct)
    {
        if (await db.Settings.AnyAsync(s => s.Key == key, ct)) return;
        await seed();
        db.Settings.Add(new SettingRow { Key = key, Value = DateTime.UtcNow.ToString("O") });
        await db.SaveChangesAsync(ct);
    }

    private static async Task SeedMachineTypesAsync(ResourceStore store, CancellationToken ct)
    {
        (string Name, MachineTypeSpec Spec)[] types =
        [
            ("small", new MachineTypeSpec { Architecture = Architectures.X86_64, Vcpus = new Range(1, 1, 2), MemoryMiB = new Range(512, 256, 2048), Description = "1 vCPU, 512 MiB; up to 2 vCPUs and 2 GiB." }),
            ("medium", new MachineTypeSpec { Architecture = Architectures.X86_64, Vcpus = new Range(2, 1, 4), MemoryMiB = new Range(2048, 1024, 8192), Description = "2 vCPUs, 2 GiB; up to 4 vCPUs and 8 GiB." }),
            ("large", new MachineTypeSpec { Architecture = Architectures.X86_64, Vcpus = new Range(4, 2, 8), MemoryMiB = new Range(8192, 4096, 32768), Description = "4 vCPUs, 8 GiB; up to 8 vCPUs and 32 GiB." }),
            ("dedicated", new MachineTypeSpec { Architecture = Architectures.X86_64, Placement = HostPlacement.Dedicated, Vcpus = new Range(2, 1, 16), MemoryMiB = new Range(4096, 1024, 65536), Description = "A host of its own: no other VM runs beside it." }),
            ("arm-small", new MachineTypeSpec { Architecture = Architectures.Aarch64, Vcpus = new Range(1, 1, 4), MemoryMiB = new Range(1024, 512, 4096), Description = "aarch64; needs a host with qemu-system-arm." }),
        ];
        foreach (var (name, spec) in types)
        {
            await store.CreateAsync(new NewResource(Kinds.MachineTypes.Name, name, Actor.SharedOwner, new JsonObject { ["seeded"] = true },
                KrautJson.Serialize(spec), KrautJson.Serialize(new MachineTypeStatus())), Actor.System, ct);
        }
    }

    private async Task SeedNetworkAsync(ResourceStore store, CancellationToken ct)
    {
        var subnet = FreeSubnet();
        var spec = new NetworkSpec { Ipv4Cidr = subnet, Ipv4Mode = Ipv4Mode.Dhcp, Description = "Created on first run: isolated, with DHCP from the host." };
        await store.CreateAsync(new NewResource(Kinds.Networks.Name, "default", Actor.SharedOwner, new JsonObject { ["seeded"] = true },
            KrautJson.Serialize(spec), KrautJson.Serialize(new NetworkStatus())), Actor.System, ct);
        logger.LogInformation("Created the default network {Subnet}", subnet);
    }

    /// <summary>The range a /24 of the default network is picked from (10.77–10.126) lies inside the default pool.</summary>
    public const string DefaultPoolIpv4 = "10.64.0.0/10";

    /// <summary>A unique-local /48 ("Kraut" in its global id): unlikely to meet a site's own fd00::/8 choices.</summary>
    public const string DefaultPoolIpv6 = "fd4b:7261:7574::/48";

    /// <summary>The default pool: owned by "shared", so it serves everyone; administrators change or delete it like any pool.</summary>
    private async Task SeedAddressPoolAsync(ResourceStore store, CancellationToken ct)
    {
        var spec = new AddressPoolSpec
        {
            Ipv4 = [DefaultPoolIpv4],
            Ipv6 = [DefaultPoolIpv6],
            Description = "Created on first run: the ranges everyone may use for their networks.",
        };
        await store.CreateAsync(new NewResource(Kinds.AddressPools.Name, "default", Actor.SharedOwner, new JsonObject { ["seeded"] = true },
            KrautJson.Serialize(spec), KrautJson.Serialize(new AddressPoolStatus())), Actor.System, ct);
        logger.LogInformation("Created the default address pool {Ipv4} and {Ipv6}", DefaultPoolIpv4, DefaultPoolIpv6);
    }

    /// <summary>A /24 in 10.77–10.126 that no local interface route and no libvirt network on our hosts uses.</summary>
    private string FreeSubnet()
    {
        var taken = new List<Ipv4Subnet>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (var address in nic.GetIPProperties().UnicastAddresses)
            {
                if (address.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
                    && Ipv4Subnet.TryParse($"{Masked(address.Address.GetAddressBytes(), address.PrefixLength)}/{Math.Clamp(address.PrefixLength, 8, 29)}", out var s, out _))
                {
                    taken.Add(s);
                }
            }
        }
        foreach (var host in hosts.Hosts.Where(h => h.TryConnect()))
        {
            foreach (var network in host.Connection.ListAllNetworks())
            {
                using (network)
                {
                    var xml = System.Xml.Linq.XDocument.Parse(network.GetXml());
                    foreach (var ip in xml.Descendants("ip"))
                    {
                        var addr = (string?)ip.Attribute("address");
                        var prefix = (int?)ip.Attribute("prefix") ?? PrefixOf((string?)ip.Attribute("netmask"));
                        if (addr is not null && System.Net.IPAddress.TryParse(addr, out var parsed) && parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
                            && Ipv4Subnet.TryParse($"{Masked(parsed.GetAddressBytes(), prefix)}/{Math.Clamp(prefix, 8, 29)}", out var s, out _))
                        {
                            taken.Add(s);
                        }
                    }
                }
            }
        }
        for (var second = 77; second < 127; second++)
        {
            for (var third = 0; third < 256; third++)
            {
                if (Ipv4Subnet.TryParse($"10.{second}.{third}.0/24", out var candidate, out _) && !taken.Any(t => t.Overlaps(candidate)))
                    return candidate.ToString();
            }
        }
        throw new InvalidOperationException("No free /24 found in 10.77.0.0–10.126.255.0 for the default network.");
    }

    private static string Masked(byte[] bytes, int prefix)
    {
        var value = (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
        var mask = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
        value &= mask;
        return $"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}";
    }

    private static int PrefixOf(string? netmask) =>
        netmask is not null && System.Net.IPAddress.TryParse(netmask, out var m)
            ? m.GetAddressBytes().Sum(b => System.Numerics.BitOperations.PopCount(b))
            : 24;

    private async Task SeedGuestImageAsync(ResourceStore store, ImageStorage storage, CancellationToken ct)
    {
        var source = Path.Combine(paths.Seed, GuestImageFile);
        var spec = new ImageSpec
        {
            Architecture = Architectures.X86_64,
            OsName = "Kraut test guest (Linux + busybox)",
            MinMemoryMiB = 128,
            Description = "A tiny guest built by scripts/build-guest-image.sh: DHCP on every NIC, a line on the serial console, and a web page on port 80.",
        };
        await RegisterImageAsync(store, storage, source, "kraut-test-guest", new JsonObject { ["seeded"] = true }, spec, isSystem: false, ct);
        logger.LogInformation("Registered the test guest image from {Source}", source);
    }

    /// <summary>The aarch64 test guest: an arm64 disk image with its own UEFI loader, so only aarch64 machine types fit it.</summary>
    private async Task SeedArm64GuestImageAsync(ResourceStore store, ImageStorage storage, CancellationToken ct)
    {
        var source = Path.Combine(paths.Seed, Arm64GuestImageFile);
        var spec = new ImageSpec
        {
            Architecture = Architectures.Aarch64,
            OsName = "Kraut test guest for aarch64 (Linux + busybox)",
            MinMemoryMiB = 256,
            Firmware = Firmware.Uefi,
            Description = "The tiny test guest built from Debian's arm64 packages by scripts/build-guest-image.sh --arch arm64: "
                + "UEFI (systemd-boot), a shell on the serial console, DHCP and a web page on port 80.",
        };
        await RegisterImageAsync(store, storage, source, Arm64GuestImageName, new JsonObject { ["seeded"] = true }, spec, isSystem: false, ct);
        logger.LogInformation("Registered the aarch64 test guest image from {Source}", source);
    }

    /// <summary>
    /// The router appliance's system machine type (once) and system image (again whenever the file's checksum is not the
    /// newest registered one's). An older image stays: routers made from it keep running on it.
    /// </summary>
    private async Task SeedRouterApplianceAsync(KindReader reader, ResourceStore store, ImageStorage storage, CancellationToken ct)
    {
        if (await RouterApplianceRegistry.MachineTypeAsync(reader, ct) is null)
        {
            var type = new MachineTypeSpec
            {
                Architecture = Architectures.X86_64,
                Vcpus = new Range(RouterApplianceRegistry.Vcpus, RouterApplianceRegistry.Vcpus, RouterApplianceRegistry.Vcpus),
                MemoryMiB = new Range(RouterApplianceRegistry.MemoryMiB, RouterApplianceRegistry.MemoryMiB, RouterApplianceRegistry.MemoryMiB),
                Description = "Kraut's router VMs.",
            };
            if (await store.NameTakenProblemAsync(Kinds.MachineTypes.Name, Actor.SharedOwner, RouterApplianceRegistry.MachineTypeName, ct) is { } taken)
            {
                logger.LogWarning("The router appliance's machine type is not registered: {Problem}", taken);
                return;
            }
            await store.CreateAsync(new NewResource(Kinds.MachineTypes.Name, RouterApplianceRegistry.MachineTypeName, Actor.SharedOwner, RouterApplianceRegistry.Metadata(),
                KrautJson.Serialize(type), KrautJson.Serialize(new MachineTypeStatus()), IsSystem: true), Actor.System, ct);
            logger.LogInformation("Registered the router appliance's machine type");
        }

        var source = Path.Combine(paths.Seed, RouterApplianceRegistry.ImageFile);
        var sha = await Sha256Async(source, ct);
        var images = await RouterApplianceRegistry.ImagesAsync(reader, ct);
        if (images.Count > 0 && images[^1].Status.Sha256 == sha) return;
        var spec = new ImageSpec
        {
            Architecture = Architectures.X86_64,
            OsName = "Kraut router appliance (Linux + busybox + nftables)",
            MinMemoryMiB = RouterApplianceRegistry.MemoryMiB,
            Description = "The router VMs' image, built by scripts/build-guest-image.sh --router.",
        };
        await RegisterImageAsync(store, storage, source, RouterApplianceRegistry.ImageName(sha), RouterApplianceRegistry.Metadata(), spec, isSystem: true, ct);
        logger.LogInformation("Registered the router appliance image {Sha256} from {Source}", sha, source);
    }

    /// <summary>A ready image whose content is a copy of <paramref name="source"/> (a qcow2 in the seed directory).</summary>
    private static async Task RegisterImageAsync(ResourceStore store, ImageStorage storage, string source, string name, JsonObject metadata,
        ImageSpec spec, bool isSystem, CancellationToken ct)
    {
        var info = await QemuImg.InfoAsync(source, "qcow2", ct);
        var id = Guid.CreateVersion7();
        var target = storage.PathFor(id, ImageFormat.Qcow2);
        File.Copy(source, target + ".tmp", overwrite: true);
        File.Move(target + ".tmp", target, overwrite: true);
        var status = new ImageStatus
        {
            Phase = ImagePhase.Ready,
            Format = ImageFormat.Qcow2,
            VirtualSizeBytes = info.VirtualSizeBytes,
            ActualSizeBytes = new FileInfo(target).Length,
            Sha256 = await Sha256Async(target, ct),
        };
        await store.CreateAsync(new NewResource(Kinds.Images.Name, name, Actor.SharedOwner, metadata,
            KrautJson.Serialize(spec), KrautJson.Serialize(status), IsSystem: isSystem, Id: id), Actor.System, ct);
    }

    private static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }
}
