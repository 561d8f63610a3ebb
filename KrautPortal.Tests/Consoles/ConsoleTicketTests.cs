using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using KrautPortal.Features.Consoles;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Consoles;

/// <summary>
/// Who gets a console ticket (as GET of the VM, plus the token verb console; never a router's), and which WebSockets are
/// refused before the upgrade: another origin, a used, expired or foreign ticket, none at all. On libvirt's test driver:
/// every refusal happens before a console is opened.
/// </summary>
public sealed class ConsoleTicketTests(ConsolePortal portal) : IClassFixture<ConsolePortal>
{
    [Fact]
    public async Task TheOwner_GetsATicket_WithTheSocketsUrl_ItsProtocols_AndThirtySeconds()
    {
        var vm = await portal.VmAsync("alice");

        var before = DateTime.UtcNow + portal.Clock.Offset;
        using var response = await ConsolePortal.AskAsync(portal.As("alice"), vm, "serial");

        var json = await ApiClient.ReadAsync(response);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var ticket = (string)json["ticket"]!;
        Assert.Matches("^[A-Za-z0-9_-]{43}$", ticket);
        Assert.Equal(portal.SocketUri(vm).ToString(), (string)json["url"]!);
        Assert.Equal([ConsoleUrls.Protocol, ConsoleUrls.TicketPrefix + ticket], json["protocols"]!.AsArray().Select(p => (string)p!));
        Assert.Equal("serial", (string)json["type"]!);
        var expires = (DateTime)json["expiresAt"]!;
        Assert.InRange(expires.ToUniversalTime() - before, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(35));
    }

    [Fact]
    public async Task AnotherTenantsVm_IsNotThere()
    {
        var vm = await portal.VmAsync("alice");

        using var response = await ConsolePortal.AskAsync(portal.As("bob"), vm);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, "There is no VM");
    }

    [Fact]
    public async Task ATokenWithoutTheConsoleVerb_IsRefused_OneWithIt_GetsATicket()
    {
        var vm = await portal.VmAsync("alice");
        var (_, readOnly) = await portal.TokenAsync("alice", "read");
        var (_, console) = await portal.TokenAsync("alice", "read", ConsoleTickets.Verb);
        using var withoutVerb = portal.ClientWith("Bearer " + readOnly);
        using var withVerb = portal.ClientWith("Bearer " + console);

        using (var refused = await ConsolePortal.AskAsync(withoutVerb, vm))
            await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Forbidden, "may not console");
        using var issued = await ConsolePortal.AskAsync(withVerb, vm);
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
    }

    [Fact]
    public async Task ARoutersVm_HasAReadOnlyConsole_EvenForAnAdministrator()
    {
        var network = await portal.Api.IdOfAsync("networks", "default");
        Resource<VmSpec, VmStatus> router;
        await using (var scope = portal.App.CreateActorScope())
        {
            router = await scope.ServiceProvider.GetRequiredService<ResourceService<VmSpec, VmStatus>>().AsKraut().CreateAsync(new ResourceInput<VmSpec>(
                ApiClient.UniqueName("router-vm"), RouterVmMarker.Metadata(Guid.NewGuid()), new VmSpec
                {
                    ImageId = await portal.Api.IdOfAsync("images", "kraut-test-guest"),
                    MachineTypeId = await portal.Api.IdOfAsync("machine-types", "small"),
                    Nics = [new VmNic { NetworkId = network }],
                }, Owner: "alice"), CancellationToken.None, isSystem: true);
        }

        using var response = await ConsolePortal.AskAsync(portal.God, router.Id);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Conflict, "a router's console is read-only");
        using var byOwner = await ConsolePortal.AskAsync(portal.As("alice"), router.Id);
        await ApiClient.AssertProblemAsync(byOwner, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AnUnknownType_IsABadRequestNamingTheField_AndAStoppedVm_HasNoConsole()
    {
        var running = await portal.VmAsync("alice");
        var stopped = await portal.VmAsync("alice", running: false);

        using (var badType = await ConsolePortal.AskAsync(portal.As("alice"), running, "telnet"))
            await ApiClient.AssertProblemAsync(badType, HttpStatusCode.BadRequest, "type:", "'telnet'", "serial or vnc");
        using (var extra = await portal.As("alice").PostAsync($"/api/v1/vms/{running}/console", ApiClient.Json(new JsonObject { ["type"] = "serial", ["tty"] = 2 })))
            await ApiClient.AssertProblemAsync(extra, HttpStatusCode.BadRequest, "tty:");
        using (var badId = await portal.As("alice").PostAsync("/api/v1/vms/nope/console", ApiClient.Json(new JsonObject { ["type"] = "serial" })))
            await ApiClient.AssertProblemAsync(badId, HttpStatusCode.BadRequest, "'nope' is not a valid id");
        using var notRunning = await ConsolePortal.AskAsync(portal.As("alice"), stopped);
        await ApiClient.AssertProblemAsync(notRunning, HttpStatusCode.Conflict, "is not running", "start it");
    }

    [Fact]
    public async Task Anonymous_GetsNoTicket()
    {
        var vm = await portal.VmAsync("alice");
        using var anonymous = portal.Client();

        using var response = await ConsolePortal.AskAsync(anonymous, vm);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "No credentials");
    }

    [Fact]
    public async Task ASocketFromAnotherOrigin_IsRefused_EvenWithAValidTicket()
    {
        var vm = await portal.VmAsync("alice");
        var ticket = (string)(await ConsolePortal.TicketAsync(portal.As("alice"), vm, origin: portal.Origin))["ticket"]!;

        var (status, type, body) = await portal.HandshakeAsync(vm, "serial", ticket, "https://evil.example");

        Assert.Equal(403, status);
        Assert.Equal("application/problem+json", type);
        Assert.Contains("issued to a page of " + portal.Origin, (string)body["detail"]!, StringComparison.Ordinal);
        // A ticket meant for a command-line client (no Origin) is not good from a page either.
        var cli = (string)(await ConsolePortal.TicketAsync(portal.As("alice"), vm))["ticket"]!;
        Assert.Equal(HttpStatusCode.Forbidden, await ConsolePortal.RefusedAsync(portal.SocketUri(vm), cli, portal.Origin));
    }

    [Fact]
    public async Task AUsedTicket_IsRefused()
    {
        var vm = await portal.VmAsync("alice");
        var ticket = (string)(await ConsolePortal.TicketAsync(portal.As("alice"), vm, origin: portal.Origin))["ticket"]!;
        using (var first = await ConsolePortal.ConnectAsync(portal.SocketUri(vm), ticket, portal.Origin))
        {
            Assert.Equal(ConsoleUrls.Protocol, first.SubProtocol);
        }

        var (status, type, body) = await portal.HandshakeAsync(vm, "serial", ticket, portal.Origin);

        Assert.Equal(401, status);
        Assert.Equal("application/problem+json", type);
        Assert.Contains("used already", (string)body["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherVmsTicket_IsRefused_AndUsedUp()
    {
        var mine = await portal.VmAsync("alice");
        var bobs = await portal.VmAsync("bob");
        var ticket = (string)(await ConsolePortal.TicketAsync(portal.As("alice"), mine))["ticket"]!;

        Assert.Equal(HttpStatusCode.Unauthorized, await ConsolePortal.RefusedAsync(portal.SocketUri(bobs), ticket));
        Assert.Equal(HttpStatusCode.Unauthorized, await ConsolePortal.RefusedAsync(portal.SocketUri(mine), ticket));
        // Nor for the other console of the same VM.
        var serial = (string)(await ConsolePortal.TicketAsync(portal.As("alice"), mine))["ticket"]!;
        Assert.Equal(HttpStatusCode.Unauthorized, await ConsolePortal.RefusedAsync(portal.SocketUri(mine, "vnc"), serial));
    }

    [Fact]
    public async Task AnExpiredTicket_IsRefused()
    {
        var vm = await portal.VmAsync("alice");
        var ticket = (string)(await ConsolePortal.TicketAsync(portal.As("alice"), vm))["ticket"]!;
        portal.Clock.Offset += TimeSpan.FromSeconds(31);

        var (status, _, body) = await portal.HandshakeAsync(vm, "serial", ticket, null);

        Assert.Equal(401, status);
        Assert.Contains("expired", (string)body["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoTicket_IsRefused_AndAPlainGet_IsNoConsole()
    {
        var vm = await portal.VmAsync("alice");

        var (status, type, body) = await portal.HandshakeAsync(vm, "serial", null, null);

        Assert.Equal(401, status);
        Assert.Equal("application/problem+json", type);
        Assert.Contains("No ticket", (string)body["detail"]!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await ConsolePortal.RefusedAsync(portal.SocketUri(vm), null));
        using var plain = await portal.As("alice").GetAsync(portal.SocketUri(vm).PathAndQuery);
        await ApiClient.AssertProblemAsync(plain, HttpStatusCode.BadRequest, "WebSocket");
    }
}
