using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using KrautPortal.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KrautPortal.Tests.Browser;

/// <summary>
/// The Images page in a real browser: files chosen and dropped, sent by image-upload.js straight to the content API,
/// followed through checks and conversion; cancelling, resuming and URL import. Real disk images made with qemu-img.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class ImageUploadTests(BrowserFixture browser, ImageUploadTests.App app) : IClassFixture<ImageUploadTests.App>
{
    /// <summary>One portal on libvirt's test driver for these tests, allowed to import from this machine's own web server.</summary>
    public sealed class App() : TestDriverPortal(new Dictionary<string, string?> { ["Images:ImportAllowList:0"] = "127.0.0.1" })
    {
        /// <summary>Where the tests make their disk images; removed afterwards.</summary>
        public string Files { get; } = Directory.CreateTempSubdirectory("kraut-upload-files-").FullName;

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            Directory.Delete(Files, recursive: true);
        }
    }

    private const int MiB = 1 << 20;

    // ---- These run against any portal: the page and the script, before the content API exists too. ----

    [Fact]
    public async Task ChosenAndDroppedFiles_AreStagedWithNamesFromTheirFiles_AndNothingIsCreatedBeforeUpload()
    {
        var stamp = Stamp();
        var debian = MakeImage($"debian-{stamp}.qcow2", "qcow2", "1M");
        var alpine = MakeImage($"alpine-{stamp}-arm64.qcow2", "qcow2", "1M");
        var page = await browser.NewSignedInPageAsync(app.Portal);
        await GotoImagesAsync(page);
        await Expect(page.GetByText("not in this version")).ToHaveCountAsync(0);

        // From the keyboard: "Choose files" opens the browser's own file dialog, for several files.
        var chooser = await page.RunAndWaitForFileChooserAsync(async () =>
        {
            await page.TestId("choose-files").FocusAsync();
            await page.Keyboard.PressAsync("Enter");
        });
        Assert.True(chooser.IsMultiple);
        await chooser.SetFilesAsync(debian);
        // And dragged from the desktop: the zone lights up while files hover, and takes them when dropped.
        var highlighted = await DragFilesOntoAsync(page, alpine);
        Assert.True(highlighted, "the drop zone did not light up while files were dragged over it");

        var rows = page.TestId("upload-row");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(page.TestId("drop-zone")).Not.ToHaveClassAsync(new Regex("kraut-drop-active"));
        await Expect(rows.Nth(0)).ToHaveAttributeAsync("data-state", "staged");
        await Expect(rows.Nth(0).GetByTestId("upload-name-input")).ToHaveValueAsync($"debian-{stamp}");
        await Expect(rows.Nth(0).GetByTestId("upload-arch")).ToHaveTextAsync("x86_64");
        await Expect(rows.Nth(1).GetByTestId("upload-name-input")).ToHaveValueAsync($"alpine-{stamp}-arm64");
        await Expect(rows.Nth(1).GetByTestId("upload-arch")).ToHaveTextAsync("aarch64");
        await Expect(page.TestId("upload-all")).ToHaveTextAsync("Upload all 2");
        await page.ScreenshotToAsync("images-staged.png");

        // Staged files are the browser's alone: no image exists until Upload.
        Assert.DoesNotContain(await ImageNamesAsync(), n => n.Contains(stamp, StringComparison.Ordinal));
        await rows.Nth(0).GetByTestId("upload-remove").ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.Nth(0)).ToHaveAttributeAsync("data-name", $"alpine-{stamp}-arm64");
    }

    [Fact]
    public async Task TheScript_ShowsTheApisRefusalInWords_AndIsLetInWithTheSessionCookie()
    {
        var page = await browser.NewSignedInPageAsync(app.Portal);
        await GotoImagesAsync(page);

        // An import into an image that does not exist: refused, and the refusal is a sentence, not JSON or a login page.
        var problem = await page.EvaluateAsync<string?>("""
            async () => {
                const module = await import('./js/image-upload.js');
                return await module.importUrl('00000000-0000-0000-0000-000000000000', 'https://example.invalid/disk.qcow2', null);
            }
            """);

        Assert.NotNull(problem);
        Assert.Matches(@"^[A-Z].*\.$", problem);
        Assert.DoesNotContain("{", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("<", problem, StringComparison.Ordinal);
        // With X-Kraut-Portal the session cookie counts; without it the API would ask for an Authorization header.
        Assert.DoesNotContain("sign", problem, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Authorization", problem, StringComparison.Ordinal);
    }

    // ---- These need the content API (branch img-upload) and, for "ready", the image pipeline (img-pipeline). ----

    [Fact]
    public async Task TwoFiles_OneChosenOneDropped_AreUploadedCheckedConverted_AndOfferedByTheWizard()
    {
        var stamp = Stamp();
        var raw = MakeImage($"guest-{stamp}-raw.img", "raw", source: TestGuest.ImagePath);
        var vmdk = MakeImage($"guest-{stamp}.vmdk", "vmdk", source: TestGuest.ImagePath);
        var (rawName, vmdkName) = ($"guest-{stamp}-raw", $"guest-{stamp}");
        var page = await browser.NewSignedInPageAsync(app.Portal);
        await GotoImagesAsync(page);

        await page.TestId("file-input").SetInputFilesAsync(raw);
        await DragFilesOntoAsync(page, vmdk);
        await Expect(page.TestId("upload-row")).ToHaveCountAsync(2);
        await page.TestId("upload-all").ClickAsync();

        foreach (var name in new[] { rawName, vmdkName })
        {
            await Expect(RowNamed(page, name)).ToHaveAttributeAsync("data-state", "ready", new() { Timeout = 120_000 });
            await Expect(RowNamed(page, name).GetByTestId("upload-message")).ToContainTextAsync("Ready");
        }
        var rawImage = await ImageAsync(await app.Api.IdOfAsync("images", rawName));
        var vmdkImage = await ImageAsync(await app.Api.IdOfAsync("images", vmdkName));
        Assert.Equal("raw", rawImage.GetProperty("status").GetProperty("sourceFormat").GetString());
        Assert.Equal("vmdk", vmdkImage.GetProperty("status").GetProperty("sourceFormat").GetString());
        foreach (var image in new[] { rawImage, vmdkImage })
        {
            Assert.Equal("ready", Phase(image));
            Assert.Equal("qcow2", image.GetProperty("status").GetProperty("format").GetString());
            Assert.Equal(64L * MiB, image.GetProperty("status").GetProperty("virtualSizeBytes").GetInt64());
            Assert.Equal("x86_64", image.GetProperty("spec").GetProperty("architecture").GetString());
        }
        Assert.Equal(Sha256Of(raw), rawImage.GetProperty("status").GetProperty("sha256").GetString());

        // The list shows them ready too; a dismissed row leaves the list of transfers only.
        await RowNamed(page, rawName).GetByTestId("upload-dismiss").ClickAsync();
        await Expect(RowNamed(page, rawName)).ToHaveCountAsync(0);
        foreach (var name in new[] { rawName, vmdkName })
        {
            var tableRow = page.TestId("resource-table").Locator("tr", new() { Has = page.GetByTestId("image-link").GetByText(name, new() { Exact = true }) });
            await Expect(tableRow.GetByTestId("image-phase")).ToHaveTextAsync("ready");
        }

        // The create-VM wizard offers both. MudRadio puts data-testid on its <input>, which has no text: the words
        // are in the label around it.
        await page.GotoInteractiveAsync("vms/new");
        foreach (var name in new[] { rawName, vmdkName })
        {
            var option = page.Locator("label", new() { Has = page.TestId("image-option") }).Filter(new() { HasText = name + " ·" });
            await Expect(option).ToHaveCountAsync(1);
            await Expect(option).ToContainTextAsync("x86_64");
        }
    }

    [Fact]
    public async Task CancellingOneUploadMidway_RemovesItsImageAndWhatArrived_WhileTheOtherGoesOn()
    {
        var stamp = Stamp();
        var first = MakeSparseFile($"big-{stamp}-a.img", 384L * MiB);
        var second = MakeSparseFile($"big-{stamp}-b.img", 256L * MiB);
        var page = await browser.NewSignedInPageAsync(app.Portal);
        await GotoImagesAsync(page);
        // Slow the browser's uploads down, so there is a "midway" to cancel at.
        var network = await ThrottleUploadsAsync(page, 8 * MiB);

        await page.TestId("file-input").SetInputFilesAsync([first, second]);
        await page.TestId("upload-all").ClickAsync();
        var a = RowNamed(page, $"big-{stamp}-a");
        var b = RowNamed(page, $"big-{stamp}-b");
        await Expect(a.GetByTestId("upload-percent")).ToHaveTextAsync(PercentAtLeast2(), new() { Timeout = 30_000 });
        await Expect(b).ToHaveAttributeAsync("data-state", "uploading");
        await Expect(a.GetByTestId("upload-speed")).ToHaveTextAsync(new Regex(@"^\d+(\.\d)? (KiB|MiB)/s$"));
        await Expect(a.GetByTestId("upload-eta")).ToHaveTextAsync(new Regex(@" left$"));
        await Expect(a.GetByTestId("upload-numbers")).ToContainTextAsync("of 384 MiB");
        await page.ScreenshotToAsync("images-uploading.png");

        var id = await app.Api.IdOfAsync("images", $"big-{stamp}-a");
        await a.GetByTestId("upload-cancel").ClickAsync();

        await Expect(a).ToHaveAttributeAsync("data-state", "cancelled");
        await Expect(a.GetByTestId("upload-message")).ToHaveTextAsync("Cancelled. The image and whatever had arrived were removed.");
        await Expect(b).ToHaveAttributeAsync("data-state", "uploading");
        Assert.Equal(HttpStatusCode.NotFound, (await app.Api.Http.GetAsync($"/api/v1/images/{id}")).StatusCode);
        await Eventually.WaitUntilAsync(() => StoredFilesOf(id).Length == 0, TimeSpan.FromSeconds(10), "the cancelled upload's files to go");

        await b.GetByTestId("upload-cancel").ClickAsync();
        await Expect(b).ToHaveAttributeAsync("data-state", "cancelled");
        await network.DetachAsync();
    }

    [Fact]
    public async Task ALostConnection_IsRetried_ThenResumedByHand_WhereTheServerStopped()
    {
        var stamp = Stamp();
        var file = MakeImage($"resume-{stamp}.img", "raw", source: TestGuest.ImagePath);
        // The page reaches the portal through a link that can drop its HTTP connections mid-request, as a lost
        // network does, while the Blazor circuit stays up to show what happens.
        await using var link = new CuttableLink(app.Portal.BaseAddress);
        var page = await browser.NewPageAsync(link.Address);
        await page.SignInAsync(KrautPortal.Features.Auth.InitialAdmin.User, app.Portal.AdminPassword);
        await GotoImagesAsync(page);
        var network = await ThrottleUploadsAsync(page, 4 * MiB);

        await page.TestId("file-input").SetInputFilesAsync(file);
        await page.TestId("upload-all").ClickAsync();
        var row = RowNamed(page, $"resume-{stamp}");
        await Expect(row.GetByTestId("upload-percent")).ToHaveTextAsync(PercentAtLeast2(), new() { Timeout = 30_000 });

        // The connection goes away in the middle of the upload: the script retries by itself, then gives the decision to the person.
        link.Cut();
        await Expect(row).ToHaveAttributeAsync("data-state", "retrying");
        await Expect(row.GetByTestId("upload-message")).ToContainTextAsync("Trying again in");
        await Expect(row).ToHaveAttributeAsync("data-state", "interrupted", new() { Timeout = 30_000 });
        await Expect(row.GetByTestId("upload-message")).ToContainTextAsync("Resume goes on where it stopped.");
        var id = await app.Api.IdOfAsync("images", $"resume-{stamp}");
        var arrived = await BytesReceivedAsync(id);
        Assert.InRange(arrived, 1, 64L * MiB - 1);

        link.Restore();
        await ThrottleUploadsAsync(network, -1);
        await row.GetByTestId("upload-resume").ClickAsync();

        await Expect(row).ToHaveAttributeAsync("data-state", new Regex("^(checking|converting|ready)$"), new() { Timeout = 60_000 });
        // The server hashes the whole content: equal to the file's only if the resumed part joined the first exactly.
        await Eventually.WaitUntilAsync(async () => (await ImageAsync(id)).GetProperty("status").TryGetProperty("sha256", out _),
            TimeSpan.FromSeconds(60), "the image's checksum");
        Assert.Equal(Sha256Of(file), (await ImageAsync(id)).GetProperty("status").GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task WhenTheWholeNetworkIsLost_TheInterruptedUploadShows_OnceThePageReconnects()
    {
        var stamp = Stamp();
        var file = MakeImage($"offline-{stamp}.img", "raw", source: TestGuest.ImagePath);
        await using var link = new CuttableLink(app.Portal.BaseAddress);
        var page = await browser.NewPageAsync(link.Address);
        await page.SignInAsync(KrautPortal.Features.Auth.InitialAdmin.User, app.Portal.AdminPassword);
        await GotoImagesAsync(page);
        var network = await ThrottleUploadsAsync(page, 4 * MiB);
        await page.TestId("file-input").SetInputFilesAsync(file);
        await page.TestId("upload-all").ClickAsync();
        var row = RowNamed(page, $"offline-{stamp}");
        await Expect(row.GetByTestId("upload-percent")).ToHaveTextAsync(PercentAtLeast2(), new() { Timeout = 30_000 });

        // Everything goes, the circuit too: Blazor says so, and the page cannot hear the script's news meanwhile.
        // The script retries three times (HEAD: how much arrived?) and then waits for the person.
        var headsFailed = 0;
        var gaveUp = new TaskCompletionSource();
        page.RequestFailed += (_, request) =>
        {
            if (request.Method == "HEAD" && request.Url.EndsWith("/content", StringComparison.Ordinal) && Interlocked.Increment(ref headsFailed) == 3)
                gaveUp.TrySetResult();
        };
        link.Cut(webSockets: true);
        await Expect(page.Locator("#components-reconnect-modal")).ToBeVisibleAsync();
        await gaveUp.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // Back: the circuit reconnects, and the row catches up with what happened while it was away.
        link.Restore();
        await Expect(page.Locator("#components-reconnect-modal")).ToBeHiddenAsync(new() { Timeout = 60_000 });
        await Expect(row).ToHaveAttributeAsync("data-state", "interrupted", new() { Timeout = 20_000 });
        await Expect(row.GetByTestId("upload-message")).ToContainTextAsync("Resume goes on where it stopped.");

        await ThrottleUploadsAsync(network, -1);
        await row.GetByTestId("upload-resume").ClickAsync();
        var id = await app.Api.IdOfAsync("images", $"offline-{stamp}");
        await Eventually.WaitUntilAsync(async () => (await ImageAsync(id)).GetProperty("status").TryGetProperty("sha256", out _),
            TimeSpan.FromSeconds(60), "the image's checksum");
        Assert.Equal(Sha256Of(file), (await ImageAsync(id)).GetProperty("status").GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task ImportFromUrl_WithItsChecksum_ShowsTheDownload_AndBecomesReady()
    {
        var stamp = Stamp();
        var file = MakeImage($"imported-{stamp}.qcow2", "qcow2", source: TestGuest.ImagePath);
        using var server = new FileServer(file);
        var page = await browser.NewSignedInPageAsync(app.Portal);
        await GotoImagesAsync(page);

        await page.TestId("import-url").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByTestId("import-url-input").FillAsync(server.Url);
        await Expect(dialog.GetByTestId("import-name")).ToHaveValueAsync($"imported-{stamp}");
        await dialog.GetByTestId("import-sha256").FillAsync(Sha256Of(file).ToUpperInvariant());
        await dialog.GetByTestId("import-start").ClickAsync();

        await Expect(dialog).ToHaveCountAsync(0);
        var row = RowNamed(page, $"imported-{stamp}");
        await Expect(row).ToHaveAttributeAsync("data-state", "ready", new() { Timeout = 120_000 });
        var image = await ImageAsync(await app.Api.IdOfAsync("images", $"imported-{stamp}"));
        Assert.Equal(server.Url, image.GetProperty("status").GetProperty("sourceUrl").GetString());
        Assert.Equal(Sha256Of(file), image.GetProperty("status").GetProperty("sha256").GetString());
    }

    // ---- helpers ----

    /// <summary>Opens the Images page and waits until image-upload.js listens (it attaches just after the circuit starts).</summary>
    private static async Task GotoImagesAsync(IPage page)
    {
        await page.GotoInteractiveAsync("images");
        await Expect(page.TestId("drop-zone")).ToHaveAttributeAsync("data-kraut-ready", "1");
    }

    /// <summary>
    /// Drags real files onto the drop zone the way a browser does from the desktop: a DataTransfer holding them,
    /// then dragenter, dragover and drop. The files get into the page through a file input of the test's own.
    /// Returns whether the zone lit up while they hovered.
    /// </summary>
    private static async Task<bool> DragFilesOntoAsync(IPage page, params string[] paths)
    {
        await page.EvaluateAsync("""
            () => {
                const input = Object.assign(document.createElement('input'), { type: 'file', multiple: true, id: 'test-drag-source', hidden: true });
                document.body.append(input);
            }
            """);
        await page.SetInputFilesAsync("#test-drag-source", paths);
        return await page.EvaluateAsync<bool>("""
            () => {
                const source = document.getElementById('test-drag-source');
                const zone = document.querySelector('[data-testid=drop-zone]');
                const data = new DataTransfer();
                for (const file of source.files) data.items.add(file);
                source.remove();
                const fire = type => zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
                fire('dragenter');
                fire('dragover');
                const lit = zone.classList.contains('kraut-drop-active') && getComputedStyle(zone, '::after').content.includes('Drop the files');
                fire('drop');
                return lit;
            }
            """);
    }

    /// <summary>Chromium's own network emulation: caps upload speed (-1: none) for the page.</summary>
    private static async Task<ICDPSession> ThrottleUploadsAsync(IPage page, int bytesPerSecond)
    {
        var session = await page.Context.NewCDPSessionAsync(page);
        await session.SendAsync("Network.enable");
        return await ThrottleUploadsAsync(session, bytesPerSecond);
    }

    private static async Task<ICDPSession> ThrottleUploadsAsync(ICDPSession session, int bytesPerSecond)
    {
        await session.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false, ["latency"] = 0, ["downloadThroughput"] = -1, ["uploadThroughput"] = bytesPerSecond,
        });
        return session;
    }

    private static ILocator RowNamed(IPage page, string name) => page.Locator($"[data-testid=upload-row][data-name='{name}']");

    [GeneratedRegex(@"^([2-9]|[1-9]\d) %$")]
    private static partial Regex PercentAtLeast2();

    private string MakeImage(string fileName, string format, string size = "1M", string? source = null)
    {
        var path = Path.Combine(app.Files, fileName);
        if (source is null) Tool.Run("qemu-img", "create", "-q", "-f", format, path, size);
        else Tool.Run("qemu-img", "convert", "-O", format, source, path);
        return path;
    }

    /// <summary>A raw disk of zeros that takes no space (the server keeps zeros as holes too).</summary>
    private string MakeSparseFile(string fileName, long size)
    {
        var path = Path.Combine(app.Files, fileName);
        using var stream = File.Create(path);
        stream.SetLength(size);
        return path;
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Every file under the image storage named after the image.</summary>
    private string[] StoredFilesOf(Guid id) =>
        Directory.EnumerateFiles(Path.Combine(app.Portal.DataDirectory, "images"), id.ToString("D") + "*", SearchOption.AllDirectories).ToArray();

    private async Task<long> BytesReceivedAsync(Guid id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, $"/api/v1/images/{id}/content");
        using var response = await app.Api.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return long.Parse(response.Headers.GetValues("X-Bytes-Received").Single(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<JsonElement> ImageAsync(Guid id)
    {
        var text = await app.Api.Http.GetStringAsync($"/api/v1/images/{id}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static string? Phase(JsonElement image) => image.GetProperty("status").GetProperty("phase").GetString();

    private async Task<List<string>> ImageNamesAsync()
    {
        var list = JsonDocument.Parse(await app.Api.Http.GetStringAsync("/api/v1/images?limit=500")).RootElement;
        return list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!).ToList();
    }

    private static string Stamp() => Guid.NewGuid().ToString("N")[..6];

    /// <summary>Serves one file over HTTP on 127.0.0.1, as a download site would, for URL import.</summary>
    private sealed class FileServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly string _path;

        public FileServer(string path)
        {
            _path = path;
            var port = FreePort();
            Url = $"http://127.0.0.1:{port}/{Path.GetFileName(path)}";
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string Url { get; }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                using var response = context.Response;
                if (context.Request.Url?.AbsolutePath != "/" + Path.GetFileName(_path))
                {
                    response.StatusCode = 404;
                    continue;
                }
                response.ContentType = "application/octet-stream";
                response.ContentLength64 = new FileInfo(_path).Length;
                await using var file = File.OpenRead(_path);
                await file.CopyToAsync(response.OutputStream);
            }
        }

        private static int FreePort()
        {
            using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        public void Dispose() => _listener.Close();
    }
}
