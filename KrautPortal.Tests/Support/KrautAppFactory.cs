using System.Net.Http.Json;
using System.Text.Json;
using KrautPortal.Features;
using KrautPortal.Features.Networks.HostFacts;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Support;

/// <summary>
/// The whole portal in-process, with its own data directory and database (SQLite, or PostgreSQL with
/// <c>KRAUT_TEST_DATABASE=postgres</c>: see <see cref="TestDatabase"/>). By default on libvirt's
/// test driver (fast, nothing boots); pass <c>qemu:///system</c> for real guests. On dispose it removes
/// every libvirt object its instance made, so runs never leak into each other.
/// </summary>
public sealed class KrautAppFactory : WebApplicationFactory<Program>
{
    public const string TestDriver = TestHosts.TestDriver;
    public const string SystemDriver = TestHosts.System;

    private readonly string _hostUri;
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IWebHostBuilder>? _configure;
    private readonly Action<IServiceCollection>? _services;
    private readonly bool _ownsDataDirectory;

    /// <param name="seedImage">"guest": the real test guest; "blank": a tiny empty qcow2 (enough for the test driver); null: none.</param>
    /// <param name="configure">More host configuration after the settings, e.g. a clock or a logger provider of the test's own.</param>
    /// <param name="dataDirectory">An existing data directory to start on, as a restart would (the caller removes it); null: a fresh one.</param>
    /// <param name="services">Replaces services after the portal registered its own (e.g. a gate in front of a seam).</param>
    public KrautAppFactory(string hostUri = TestDriver, string? seedImage = "blank", IDictionary<string, string?>? settings = null,
        Action<IWebHostBuilder>? configure = null, string? dataDirectory = null, Action<IServiceCollection>? services = null)
    {
        _hostUri = hostUri;
        _configure = configure;
        _services = services;
        _ownsDataDirectory = dataDirectory is null;
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("kraut-test-").FullName;
        if (_ownsDataDirectory) SeedImages.Put(DataDirectory, seedImage);
        _settings = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Kraut:DataDirectory"] = DataDirectory,
            ["Kraut:Hosts:0"] = hostUri,
        };
        foreach (var (key, value) in TestCredentials.Settings()) _settings.TryAdd(key, value);
        // SQLite in the data directory, or the directory's own PostgreSQL database (KRAUT_TEST_DATABASE=postgres).
        if (!_settings.ContainsKey("Database:Provider"))
        {
            foreach (var (key, value) in TestDatabase.Settings(DataDirectory)) _settings[key] = value;
        }
    }

    public string DataDirectory { get; }

    public static readonly JsonSerializerOptions Json = KrautJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        _configure?.Invoke(builder);
        // libvirt's test driver is no real host: its networks are checked against fixed host facts, not this machine's.
        if (_hostUri == TestDriver) builder.ConfigureTestServices(s => s.AddSingleton<IHostNetworkFacts>(TestHostFacts.Fixed));
        if (_services is not null) builder.ConfigureTestServices(_services);
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Runs <paramref name="work"/> with a scoped service, as a request would.</summary>
    /// <summary>Clients authenticate as an administrator with the tests' god token; tests about identity set their own header.</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", TestCredentials.GodHeader);
    }

    /// <summary>A client with no credentials at all.</summary>
    public HttpClient CreateAnonymousClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = null;
        client.DefaultRequestHeaders.Remove("Authorization");
        return client;
    }

    /// <summary>A service scope acting as <paramref name="actor"/> (an administrator by default), as a signed-in request would.</summary>
    public AsyncServiceScope CreateActorScope(KrautPortal.Features.Store.Actor? actor = null)
    {
        var scope = Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<KrautPortal.Features.Auth.RequestActorAccessor>().CircuitActor = actor ?? TestCredentials.Admin;
        return scope;
    }

    /// <summary>Runs <paramref name="work"/> with a scoped service, as a request by an administrator would.</summary>
    public async Task<TResult> WithScopeAsync<TService, TResult>(Func<TService, Task<TResult>> work) where TService : notnull
    {
        await using var scope = CreateActorScope();
        return await work(scope.ServiceProvider.GetRequiredService<TService>());
    }

    public async Task<Guid> IdOfAsync(string kind, string name)
    {
        using var client = CreateClient();
        var list = await client.GetFromJsonAsync<JsonElement>($"/api/v1/{kind}?limit=500");
        foreach (var item in list.GetProperty("items").EnumerateArray())
        {
            if (item.GetProperty("name").GetString() == name) return item.GetProperty("id").GetGuid();
        }
        throw new InvalidOperationException($"no {kind} named {name}");
    }

    protected override void Dispose(bool disposing)
    {
        string? instance = null;
        try
        {
            instance = Services.GetService<KrautInstance>()?.Id;
        }
        catch (ObjectDisposedException)
        {
            // never started
        }
        base.Dispose(disposing);
        if (instance is not null && _ownsDataDirectory) LibvirtCleanup.RemoveInstance(_hostUri, instance);
        if (!_ownsDataDirectory) return;
        TestDatabase.Remove(DataDirectory);
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // a file still open by QEMU a moment longer; the temp directory is harmless
        }
    }
}
