using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features.Images;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Images;

/// <summary>
/// Puts content in front of the pipeline the way an upload will: the image record through the API, the whole
/// content at ArrivedPath, phase Checking, Enqueue. The one place to swap for the real upload API once it exists.
/// </summary>
internal static class ImageArrival
{
    public static async Task<Guid> ArriveAsync(KrautAppFactory app, string name, string contentPath, JsonObject? spec = null)
    {
        var id = await CreateRecordAsync(app, name, spec);
        File.Copy(contentPath, app.Service<ImageStorage>().ArrivedPath(id));
        await SetStatusAsync(app, id, new ImageStatus { Phase = ImagePhase.Checking, PhaseStartedAt = DateTime.UtcNow });
        app.Service<IImagePipeline>().Enqueue(id);
        return id;
    }

    public static async Task<Guid> CreateRecordAsync(KrautAppFactory app, string name, JsonObject? spec = null)
    {
        using var client = app.CreateClient();
        var response = await client.PostAsJsonAsync("/api/v1/images", new JsonObject { ["name"] = name, ["spec"] = spec ?? new JsonObject() });
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"creating image {name} failed: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    public static async Task SetStatusAsync(KrautAppFactory app, Guid id, ImageStatus status)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ResourceStore>().SetStatusAsync(Kinds.Images.Name, id, KrautJson.Serialize(status), CancellationToken.None);
    }

    public static async Task<ImageStatus> StatusAsync(KrautAppFactory app, Guid id)
    {
        using var client = app.CreateClient();
        var image = await client.GetFromJsonAsync<JsonElement>($"/api/v1/images/{id}");
        return image.GetProperty("status").Deserialize<ImageStatus>(KrautAppFactory.Json)!;
    }

    /// <summary>Waits until the pipeline has settled the image: Ready or Failed.</summary>
    public static async Task<ImageStatus> SettledAsync(KrautAppFactory app, Guid id, TimeSpan? timeout = null) =>
        await Eventually.WaitForAsync(async () => await StatusAsync(app, id) is { Phase: ImagePhase.Ready or ImagePhase.Failed } s ? s : null,
            timeout ?? TimeSpan.FromSeconds(60), $"image {id} to be ready or failed");

    public static async Task<ImageStatus> ReadyAsync(KrautAppFactory app, Guid id, TimeSpan? timeout = null)
    {
        var status = await SettledAsync(app, id, timeout);
        Assert.True(status.Phase == ImagePhase.Ready, $"expected Ready, got {status.Phase}: {status.Message}");
        return status;
    }

    public static async Task<ImageStatus> RefusedAsync(KrautAppFactory app, Guid id)
    {
        var status = await SettledAsync(app, id);
        Assert.True(status.Phase == ImagePhase.Failed, $"expected a refusal, got {status.Phase}");
        return status;
    }
}

/// <summary>A temporary directory for the files a test makes, removed afterwards.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("kraut-img-").FullName;

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>
/// Sees every open and read of one file by any process, through inotify (IN_OPEN, IN_ACCESS): the proof that a
/// host file next to a hostile image was never touched. Events queue in the kernel until read, so checking after
/// the fact misses nothing.
/// </summary>
internal sealed partial class OpenWatch : IDisposable
{
    private const int InNonBlock = 0x800;
    private const int InCloexec = 0x80000;
    private const uint InAccess = 0x1;
    private const uint InOpen = 0x20;
    private readonly int _fd;

    public OpenWatch(string path)
    {
        Path = path;
        _fd = InotifyInit1(InNonBlock | InCloexec);
        if (_fd < 0) throw new InvalidOperationException($"inotify_init1 failed: errno {Marshal.GetLastPInvokeError()}");
        if (InotifyAddWatch(_fd, path, InOpen | InAccess) < 0)
            throw new InvalidOperationException($"inotify_add_watch({path}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public string Path { get; }

    /// <summary>How many opens and reads of the file happened since the watch began (or since the last call).</summary>
    public (int Opens, int Reads) Take()
    {
        var buffer = new byte[64 * 1024];
        var (opens, reads) = (0, 0);
        while (true)
        {
            var n = Read(_fd, buffer, buffer.Length);
            if (n <= 0) return (opens, reads);
            for (var at = 0; at + 16 <= n;)
            {
                var mask = BitConverter.ToUInt32(buffer, at + 4);
                var nameLength = BitConverter.ToInt32(buffer, at + 12);
                if ((mask & InOpen) != 0) opens++;
                if ((mask & InAccess) != 0) reads++;
                at += 16 + nameLength;
            }
        }
    }

    public void Dispose() => _ = Close(_fd);

    [LibraryImport("libc.so.6", EntryPoint = "inotify_init1", SetLastError = true)]
    private static partial int InotifyInit1(int flags);

    [LibraryImport("libc.so.6", EntryPoint = "inotify_add_watch", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int InotifyAddWatch(int fd, string path, uint mask);

    [LibraryImport("libc.so.6", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, [Out] byte[] buffer, nint count);

    [LibraryImport("libc.so.6", EntryPoint = "close")]
    private static partial int Close(int fd);
}

/// <summary>Makes image files for tests with the real qemu-img, and the odd one byte by byte.</summary>
internal static class TestImages
{
    public static string QemuImg(params string[] args) => Tool.Run("qemu-img", args);

    /// <summary>The test guest converted to <paramref name="format"/> (vmdk as monolithicSparse, as VMware writes it).</summary>
    public static string Guest(TempDir dir, string format)
    {
        var path = dir[$"guest.{format}"];
        if (format == "vmdk") QemuImg("convert", "-f", "qcow2", "-O", "vmdk", "-o", "subformat=monolithicSparse", TestGuest.ImagePath, path);
        else QemuImg("convert", "-f", "qcow2", "-O", format, TestGuest.ImagePath, path);
        return path;
    }

    /// <summary>A small file standing for a host secret an image might try to read.</summary>
    public static string Secret(TempDir dir, string name = "shadow")
    {
        var path = dir[name];
        File.WriteAllText(path, "root:$6$not-for-guests$:19000:0:99999:7:::\n" + new string('s', 4096));
        return path;
    }

    public static void Patch(string path, long offset, byte[] bytes)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.Position = offset;
        file.Write(bytes);
    }

    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    /// <summary>A small ISO 9660 image made with xorriso.</summary>
    public static string Iso(TempDir dir, string name = "installer.iso")
    {
        var root = Directory.CreateDirectory(dir["iso-root-" + name]).FullName;
        File.WriteAllText(System.IO.Path.Combine(root, "README.TXT"), "Kraut test installer\n");
        var path = dir[name];
        Tool.Run("xorriso", "-as", "mkisofs", "-quiet", "-V", "KRAUT_TEST", "-o", path, root);
        return path;
    }
}

/// <summary>VMs from pipeline images, through the API.</summary>
internal static class ImageVms
{
    public static async Task<HttpResponseMessage> PostAsync(KrautAppFactory app, string name, Guid imageId, int? diskGiB = null, bool withNic = false)
    {
        var spec = new JsonObject
        {
            ["imageId"] = imageId.ToString(),
            ["machineTypeId"] = (await app.IdOfAsync("machine-types", "small")).ToString(),
            ["memoryMiB"] = 256,
        };
        if (diskGiB is { } size) spec["diskGiB"] = size;
        if (withNic) spec["nics"] = new JsonArray(new JsonObject { ["networkId"] = (await app.IdOfAsync("networks", "default")).ToString() });
        using var client = app.CreateClient();
        return await client.PostAsJsonAsync("/api/v1/vms", new JsonObject { ["name"] = name, ["spec"] = spec });
    }

    public static async Task<Guid> CreateAsync(KrautAppFactory app, string name, Guid imageId, int? diskGiB = null, bool withNic = false)
    {
        using var response = await PostAsync(app, name, imageId, diskGiB, withNic);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"creating VM {name} failed: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }
}
