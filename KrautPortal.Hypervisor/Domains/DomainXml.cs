using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace KrautPortal.Hypervisor;

/// <summary>Builds and reads libvirt domain XML with System.Xml.Linq, so user text can never break out of its element.</summary>
public static partial class DomainXml
{
    private static readonly XNamespace Kraut = KrautDomainMetadata.NamespaceUri;

    public static string Build(DomainDefinition d)
    {
        ArgumentNullException.ThrowIfNull(d);
        Validate(d);

        var isAarch64 = d.Arch == "aarch64";
        var domain = new XElement("domain",
            new XAttribute("type", d.DomainType),
            new XElement("name", d.Name),
            new XElement("uuid", d.Uuid.ToString("D")),
            new XElement("title", d.Title),
            new XElement("metadata", KrautMetadataXml.ToElement(d.Metadata, Kraut)),
            new XElement("memory", new XAttribute("unit", "MiB"), d.MemoryMiB),
            new XElement("currentMemory", new XAttribute("unit", "MiB"), d.MemoryMiB),
            new XElement("vcpu", new XAttribute("placement", "static"), d.Vcpus),
            Os(d, isAarch64),
            Features(d, isAarch64),
            isAarch64 ? Aarch64Cpu(d) : Cpu(d),
            new XElement("clock", new XAttribute("offset", "utc")),
            new XElement("on_poweroff", "destroy"),
            new XElement("on_reboot", "restart"),
            new XElement("on_crash", "destroy"),
            Devices(d));

        return domain.ToString();
    }

    /// <summary>The &lt;interface&gt; element for hot-plug attach/detach; the same code the full domain uses.</summary>
    public static string BuildNic(NicDefinition nic)
    {
        ArgumentNullException.ThrowIfNull(nic);
        return NicElement(nic).ToString();
    }

    /// <summary>The &lt;disk&gt; element for hot-plug attach/detach; the same code the full domain uses.</summary>
    public static string BuildDisk(DiskDefinition disk)
    {
        ArgumentNullException.ThrowIfNull(disk);
        return DiskElement(disk).ToString();
    }

    /// <summary>The CD drive of <paramref name="cdrom"/> with no medium, for ejecting it with an update.</summary>
    public static string BuildEjectedCdrom(DiskDefinition cdrom)
    {
        ArgumentNullException.ThrowIfNull(cdrom);
        if (!cdrom.IsCdrom) throw new ArgumentException("Only a CD drive can be empty.", nameof(cdrom));
        var element = DiskElement(cdrom);
        element.Element("source")!.Remove();
        return element.ToString();
    }

    public static DomainXmlSummary Parse(string xml)
    {
        var root = XDocument.Parse(xml).Root;
        if (root is null || root.Name != "domain")
        {
            throw new FormatException("not a <domain> document");
        }

        var devices = root.Element("devices");
        var nics = devices?.Elements("interface")
            .Where(i => i.Element("mac")?.Attribute("address") is not null)
            .Select(i => new NicDefinition(
                ((string)i.Element("mac")!.Attribute("address")!).ToLowerInvariant(),
                (string?)i.Element("source")?.Attribute("network") ?? "",
                (string?)i.Element("model")?.Attribute("type") ?? "virtio",
                FilterOf(i.Element("filterref"))))
            .ToList() ?? [];
        var disks = devices?.Elements("disk")
            .Select(disk => disk.Element("source"))
            .Select(s => (string?)s?.Attribute("file") ?? (string?)s?.Attribute("dev"))
            .OfType<string>()
            .ToList() ?? [];
        var channel = devices?.Elements("channel")
            .Where(c => (string?)c.Attribute("type") == "unix" && (string?)c.Element("target")?.Attribute("type") == "virtio"
                        && (string?)c.Element("target")?.Attribute("name") != GuestAgentChannel)
            .Select(c => new ChannelDefinition((string?)c.Element("source")?.Attribute("path") ?? "", (string?)c.Element("target")?.Attribute("name") ?? ""))
            .FirstOrDefault();
        var metadata = root.Element("metadata")?.Element(Kraut + "instance") is { } m
            ? KrautMetadataXml.FromElement(m)
            : null;

        return new DomainXmlSummary(
            Guid.Parse(root.Element("uuid")?.Value ?? throw new FormatException("domain has no <uuid>")),
            root.Element("name")?.Value ?? throw new FormatException("domain has no <name>"),
            root.Element("title")?.Value,
            int.Parse(root.Element("vcpu")?.Value ?? "0", CultureInfo.InvariantCulture),
            (int)(MemoryBytes(root.Element("memory")) / (1024 * 1024)),
            nics,
            disks,
            metadata,
            channel);
    }

    internal static XElement NicElement(NicDefinition nic)
    {
        if (!MacPattern().IsMatch(nic.Mac))
        {
            throw new ArgumentException($"Not a MAC address: '{nic.Mac}'.", nameof(nic));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(nic.NetworkName);
        return new XElement("interface",
            new XAttribute("type", "network"),
            new XElement("mac", new XAttribute("address", nic.Mac.ToLowerInvariant())),
            new XElement("source", new XAttribute("network", nic.NetworkName)),
            new XElement("model", new XAttribute("type", nic.Model)),
            nic.Filter is { } filter
                ? new XElement("filterref", new XAttribute("filter", filter.Name),
                    filter.Parameters.Select(p => new XElement("parameter", new XAttribute("name", p.Key), new XAttribute("value", p.Value))))
                : null);
    }

    private static NicFilter? FilterOf(XElement? filterref) => filterref?.Attribute("filter") is { } name
        ? new NicFilter(name.Value, filterref.Elements("parameter")
            .Select(p => new KeyValuePair<string, string>((string?)p.Attribute("name") ?? "", (string?)p.Attribute("value") ?? "")).ToList())
        : null;

    internal static XElement DiskElement(DiskDefinition disk)
    {
        if (disk.Format is not ("qcow2" or "raw"))
        {
            // An explicit format is what stops QEMU from probing a guest-written header.
            throw new ArgumentException($"Disk format must be qcow2 or raw, not '{disk.Format}'.", nameof(disk));
        }

        if (disk.Bus is not ("virtio" or "sata" or "scsi" or "ide" or "usb"))
        {
            throw new ArgumentException($"Unknown disk bus '{disk.Bus}'.", nameof(disk));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(disk.Path);
        ArgumentException.ThrowIfNullOrWhiteSpace(disk.TargetDev);

        var isBlock = disk.Path.StartsWith("/dev/", StringComparison.Ordinal);
        return new XElement("disk",
            new XAttribute("type", isBlock ? "block" : "file"),
            new XAttribute("device", disk.IsCdrom ? "cdrom" : "disk"),
            new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", disk.Format)),
            new XElement("source", new XAttribute(isBlock ? "dev" : "file", disk.Path)),
            new XElement("target", new XAttribute("dev", disk.TargetDev), new XAttribute("bus", disk.Bus)),
            disk.ReadOnly || disk.IsCdrom ? new XElement("readonly") : null);
    }

    private static void Validate(DomainDefinition d)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(d.Name);
        ArgumentNullException.ThrowIfNull(d.Title);
        ArgumentException.ThrowIfNullOrWhiteSpace(d.DomainType);
        ArgumentException.ThrowIfNullOrWhiteSpace(d.Arch);
        ArgumentNullException.ThrowIfNull(d.Metadata);
        ArgumentOutOfRangeException.ThrowIfLessThan(d.Vcpus, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(d.MemoryMiB, 16);
        if (d.Title.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("libvirt refuses titles with newlines.", nameof(d));
        }

        if (d.Firmware is not ("bios" or "efi"))
        {
            throw new ArgumentException($"Firmware must be bios or efi, not '{d.Firmware}'.", nameof(d));
        }
    }

    private static XElement Os(DomainDefinition d, bool isAarch64)
    {
        var machine = d.Machine ?? (isAarch64 ? "virt" : null);
        var os = new XElement("os",
            new XElement("type",
                new XAttribute("arch", d.Arch),
                machine is null ? null : new XAttribute("machine", machine),
                "hvm"));

        // The virt machine has no BIOS; libvirt picks the UEFI build from QEMU's firmware descriptors.
        if (isAarch64 || d.Firmware == "efi")
        {
            os.Add(new XAttribute("firmware", "efi"));
        }

        // Asked for nothing, libvirt picks AAVMF's Secure Boot build with Microsoft's keys enrolled (its descriptor sorts
        // first), which refuses every unsigned loader with "Security Violation": the plain AAVMF boots them all.
        if (isAarch64 && d.DomainType != "test")
        {
            os.Add(new XElement("firmware",
                new XElement("feature", new XAttribute("enabled", "no"), new XAttribute("name", "secure-boot"))));
        }

        if (d.DirectKernel is { } k)
        {
            os.Add(new XElement("kernel", k.KernelPath));
            if (k.InitrdPath is not null)
            {
                os.Add(new XElement("initrd", k.InitrdPath));
            }

            if (k.CommandLine is not null)
            {
                os.Add(new XElement("cmdline", k.CommandLine));
            }

            return os;
        }

        // Disk first, CD second: a blank disk falls through to the installer CD, and once installed
        // the VM boots from disk although the ISO is still attached.
        os.Add(new XElement("boot", new XAttribute("dev", "hd")));
        if (d.Disks.Any(x => x.IsCdrom))
        {
            os.Add(new XElement("boot", new XAttribute("dev", "cdrom")));
        }

        return os;
    }

    private static XElement? Features(DomainDefinition d, bool isAarch64)
    {
        if (d.DomainType == "test")
        {
            return null;
        }

        return isAarch64
            ? new XElement("features", new XElement("acpi"))
            : new XElement("features", new XElement("acpi"), new XElement("apic"));
    }

    private static XElement? Cpu(DomainDefinition d) => d.DomainType switch
    {
        "kvm" => new XElement("cpu", new XAttribute("mode", "host-passthrough")),

        // Under TCG QEMU's default models are too old for some guests (qemu64 lacks x86-64-v2, which
        // EL9 needs; the aarch64 virt default is a 32-bit cortex-a15): "maximum" is -cpu max.
        "qemu" => new XElement("cpu", new XAttribute("mode", "maximum"), new XAttribute("check", "none")),
        _ => null,
    };

    /// <summary>
    /// aarch64's CPU: the host's own under KVM (an arm64 host); under TCG a Cortex-A57, which every arm64 kernel runs and
    /// QEMU emulates fastest: -cpu max adds pointer authentication and SVE, whose emulation slows every function call.
    /// </summary>
    private static XElement? Aarch64Cpu(DomainDefinition d) => d.DomainType switch
    {
        "kvm" => new XElement("cpu", new XAttribute("mode", "host-passthrough")),
        "qemu" => new XElement("cpu", new XAttribute("mode", "custom"), new XAttribute("match", "exact"), new XAttribute("check", "none"),
            new XElement("model", new XAttribute("fallback", "forbid"), "cortex-a57")),
        _ => null,
    };

    private static XElement Devices(DomainDefinition d)
    {
        var devices = new XElement("devices");
        if (d.Emulator is not null)
        {
            devices.Add(new XElement("emulator", d.Emulator));
        }

        if (d.Disks.Any(x => x.Bus == "scsi"))
        {
            devices.Add(new XElement("controller",
                new XAttribute("type", "scsi"), new XAttribute("index", 0), new XAttribute("model", "virtio-scsi")));
        }

        devices.Add(d.Disks.Select(DiskElement));
        devices.Add(d.Nics.Select(NicElement));

        if (d.SerialLogPath is not null)
        {
            // A pty serial is what virDomainOpenConsole attaches to; virtlogd still copies everything the guest
            // prints into the log file, watched or not. append='on' keeps the log of earlier boots.
            // aarch64's virt machine has a PL011 UART (the guest's ttyAMA0), named so libvirt never guesses otherwise.
            devices.Add(new XElement("serial",
                new XAttribute("type", "pty"),
                LogElement(d.SerialLogPath),
                d.Arch == "aarch64" && d.DomainType != "test"
                    ? new XElement("target", new XAttribute("type", "system-serial"), new XAttribute("port", 0),
                        new XElement("model", new XAttribute("name", "pl011")))
                    : new XElement("target", new XAttribute("port", 0))));
            devices.Add(new XElement("console",
                new XAttribute("type", "pty"),
                LogElement(d.SerialLogPath),
                new XElement("target", new XAttribute("type", "serial"), new XAttribute("port", 0))));
        }

        if (d.VncSocketPath is not null)
        {
            devices.Add(VncElement(d.VncSocketPath));
            if (d.Arch == "aarch64" && d.DomainType != "test")
            {
                // The virt machine has no VGA and no PS/2: AAVMF and arm64 kernels drive virtio-gpu and USB input (on an
                // XHCI controller: libvirt adds no USB controller to a virt machine by itself).
                devices.Add(new XElement("controller", new XAttribute("type", "usb"), new XAttribute("model", "qemu-xhci")));
                devices.Add(new XElement("video", new XElement("model", new XAttribute("type", "virtio"))));
                devices.Add(new XElement("input", new XAttribute("type", "keyboard"), new XAttribute("bus", "usb")));
                devices.Add(new XElement("input", new XAttribute("type", "tablet"), new XAttribute("bus", "usb")));
            }
            else
            {
                devices.Add(new XElement("video", new XElement("model", new XAttribute("type", "vga"))));
            }
        }

        if (d.AgentChannel is { } channel)
        {
            devices.Add(ChannelElement(channel));
        }

        if (d.GuestAgent)
        {
            // No source path: libvirt chooses the socket (under its own state directory) and connects to it itself.
            devices.Add(new XElement("channel", new XAttribute("type", "unix"),
                new XElement("target", new XAttribute("type", "virtio"), new XAttribute("name", GuestAgentChannel))));
        }

        if (d.DomainType != "test")
        {
            // Guests block early in boot waiting for entropy without a hardware RNG.
            devices.Add(new XElement("rng",
                new XAttribute("model", "virtio"),
                new XElement("backend", new XAttribute("model", "random"), "/dev/urandom")));
        }

        return devices;
    }

    private static XElement LogElement(string path) =>
        new("log", new XAttribute("file", path), new XAttribute("append", "on"));

    /// <summary>VNC on a Unix socket only: no network listen address, so nobody reaches it but through the portal.</summary>
    private static XElement VncElement(string socketPath)
    {
        RequireSocketPath(socketPath, "VNC");
        return new XElement("graphics",
            new XAttribute("type", "vnc"),
            new XElement("listen", new XAttribute("type", "socket"), new XAttribute("socket", socketPath)));
    }

    private static void RequireSocketPath(string path, string what)
    {
        if (!Path.IsPathRooted(path))
        {
            throw new ArgumentException($"The {what} socket path must be absolute, not '{path}'.", nameof(path));
        }

        // sun_path holds 108 bytes including the terminating NUL; QEMU cannot bind a longer path.
        if (System.Text.Encoding.UTF8.GetByteCount(path) > MaxSocketPathBytes)
        {
            throw new ArgumentException($"The {what} socket path is longer than {MaxSocketPathBytes} bytes: '{path}'.", nameof(path));
        }
    }

    internal static XElement ChannelElement(ChannelDefinition channel)
    {
        if (!Path.IsPathRooted(channel.SocketPath))
        {
            throw new ArgumentException($"The channel's socket path must be absolute, not '{channel.SocketPath}'.", nameof(channel));
        }

        // sun_path holds 108 bytes including the terminating NUL; QEMU cannot bind a longer path.
        if (System.Text.Encoding.UTF8.GetByteCount(channel.SocketPath) > MaxSocketPathBytes)
        {
            throw new ArgumentException($"The channel's socket path is longer than {MaxSocketPathBytes} bytes: '{channel.SocketPath}'.", nameof(channel));
        }

        if (!ChannelNamePattern().IsMatch(channel.TargetName))
        {
            throw new ArgumentException($"Not a virtio-serial port name: '{channel.TargetName}'.", nameof(channel));
        }

        // mode='bind': QEMU listens and the host connects when it has something to say, so a portal restart never
        // takes the channel down, and the guest sees a host end come and go.
        return new XElement("channel",
            new XAttribute("type", "unix"),
            new XElement("source", new XAttribute("mode", "bind"), new XAttribute("path", channel.SocketPath)),
            new XElement("target", new XAttribute("type", "virtio"), new XAttribute("name", channel.TargetName)));
    }

    /// <summary>The port name the QEMU guest agent listens on (qemu-ga's default, which libvirt looks for).</summary>
    public const string GuestAgentChannel = "org.qemu.guest_agent.0";

    /// <summary>The longest Unix socket path the kernel accepts (sun_path without its NUL).</summary>
    public const int MaxSocketPathBytes = 107;

    private static long MemoryBytes(XElement? memory)
    {
        if (memory is null)
        {
            return 0;
        }

        var value = long.Parse(memory.Value.Trim(), CultureInfo.InvariantCulture);
        var multiplier = ((string?)memory.Attribute("unit") ?? "KiB") switch
        {
            "b" or "bytes" => 1L,
            "KB" => 1000L,
            "k" or "KiB" => 1L << 10,
            "MB" => 1000L * 1000,
            "M" or "MiB" => 1L << 20,
            "GB" => 1000L * 1000 * 1000,
            "G" or "GiB" => 1L << 30,
            "TB" => 1000L * 1000 * 1000 * 1000,
            "T" or "TiB" => 1L << 40,
            var unit => throw new FormatException($"Unknown memory unit '{unit}'."),
        };
        return value * multiplier;
    }

    [GeneratedRegex("^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")]
    private static partial Regex MacPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex ChannelNamePattern();
}
