using KrautPortal.Features.Seeding;

namespace KrautPortal.TestSupport;

/// <summary>The image a portal's first run registers, put into <c>&lt;dataDirectory&gt;/seed</c> before it starts.</summary>
public static class SeedImages
{
    /// <summary>The real test guest (<see cref="TestGuest"/>), which boots.</summary>
    public const string Guest = "guest";

    /// <summary>An empty 64 MiB qcow2: enough to create VMs on libvirt's test driver.</summary>
    public const string Blank = "blank";

    /// <summary>The real test guest and the aarch64 one (<see cref="TestGuest.Arm64ImagePath"/>), registered as image kraut-test-guest-arm64.</summary>
    public const string GuestAndArm64 = "guest+arm64";

    /// <param name="seedImage"><see cref="Guest"/>, <see cref="Blank"/> or null for none.</param>
    public static void Put(string dataDirectory, string? seedImage)
    {
        var seed = Directory.CreateDirectory(Path.Combine(dataDirectory, "seed")).FullName;
        if (seedImage == GuestAndArm64)
        {
            Put(dataDirectory, Guest);
            File.Copy(TestGuest.Arm64ImagePath, Path.Combine(seed, FirstRunSeeder.Arm64GuestImageFile));
            File.Copy(Path.ChangeExtension(TestGuest.Arm64ImagePath, ".vmlinuz"), Path.Combine(seed, "kraut-guest-arm64.vmlinuz"));
        }
        else if (seedImage == Guest)
        {
            File.Copy(TestGuest.ImagePath, Path.Combine(seed, FirstRunSeeder.GuestImageFile));
            File.Copy(TestGuest.KernelPath, Path.Combine(seed, "kraut-guest.vmlinuz"));
        }
        else if (seedImage == Blank)
        {
            Tool.Run("qemu-img", "create", "-q", "-f", "qcow2", Path.Combine(seed, FirstRunSeeder.GuestImageFile), "64M");
        }
        else if (seedImage is not null)
        {
            throw new ArgumentException($"unknown seed image '{seedImage}': use \"guest\", \"guest+arm64\", \"blank\" or null", nameof(seedImage));
        }
    }
}
