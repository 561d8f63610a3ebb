using KrautPortal.Features.Consoles;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Consoles;

/// <summary>A portal that stopped with consoles open left their audit rows open; the next start closes them, saying so.</summary>
public sealed class ConsoleRestartTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("kraut-console-restart-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task RowsLeftOpen_AreClosedAtStartUp_AsPortalRestarted_AndClosedOnesStayAsTheyWere()
    {
        var (open, closed) = (Guid.NewGuid(), Guid.NewGuid());
        var openedAt = DateTime.UtcNow.AddMinutes(-5);
        using (var before = new KrautAppFactory(seedImage: null, dataDirectory: _data))
        {
            await using var scope = before.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
            db.ConsoleSessions.Add(Row(open, openedAt, null, null));
            db.ConsoleSessions.Add(Row(closed, openedAt, openedAt.AddMinutes(1), "The viewer closed the console."));
            await db.SaveChangesAsync();
        }

        using var after = new KrautAppFactory(seedImage: null, dataDirectory: _data);
        _ = after.Server;

        await using var check = after.Services.CreateAsyncScope();
        var rows = await check.ServiceProvider.GetRequiredService<KrautDbContext>().ConsoleSessions.AsNoTracking().ToDictionaryAsync(r => r.Id);
        Assert.Equal("portal restarted", rows[open].Reason);
        Assert.True(rows[open].ClosedAt > openedAt);
        Assert.Equal("The viewer closed the console.", rows[closed].Reason);
        Assert.Equal(openedAt.AddMinutes(1), rows[closed].ClosedAt!.Value, TimeSpan.FromMilliseconds(1));
    }

    private static ConsoleSessionRow Row(Guid id, DateTime openedAt, DateTime? closedAt, string? reason) => new()
    {
        Id = id,
        VmId = Guid.NewGuid(),
        VmName = "gone",
        Type = ConsoleTypes.Serial,
        Who = "alice",
        Via = "htpasswd",
        OpenedAt = openedAt,
        ClosedAt = closedAt,
        Reason = reason,
    };
}
