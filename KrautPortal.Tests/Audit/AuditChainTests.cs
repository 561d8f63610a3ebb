using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using Microsoft.Data.Sqlite;

namespace KrautPortal.Tests.Audit;

/// <summary>The audit trail's hash chain, checked by the verify command as an operator runs it: a separate process on the database file.</summary>
public sealed class AuditChainTests : IDisposable
{
    private readonly KrautAppFactory _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task VerifyCommand_PassesOnAnUntouchedTrail_NamesAnEntryEditedWithRawSql_AndOneDeleted()
    {
        using var client = _app.CreateClient();
        var small = await _app.IdOfAsync("machine-types", "small");
        for (var i = 0; i < 3; i++)
        {
            using var patched = await client.PatchAsync($"/api/v1/machine-types/{small}",
                ApiClient.Raw(new JsonObject { ["metadata"] = new JsonObject { ["round"] = $"{i}" } }.ToJsonString(), "application/merge-patch+json"));
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }
        using (var missing = await client.DeleteAsync($"/api/v1/vms/{Guid.NewGuid()}"))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var entries = await AuditProbe.WaitForAsync(_app, 4);
        Assert.Equal([1L, 2, 3, 4], entries.Select(e => e.Seq));

        var intact = await AuditProbe.VerifyCommandAsync(_app.DataDirectory);
        Assert.True(intact.ExitCode == 0, intact.Output);
        Assert.Contains("intact: 4 entries", intact.Output, StringComparison.Ordinal);

        // Someone with the database file makes a refused call look successful.
        Execute("UPDATE audit_entries SET Status = 200, Outcome = 'ok' WHERE Seq = 4");
        var edited = await AuditProbe.VerifyCommandAsync(_app.DataDirectory);
        Assert.True(edited.ExitCode == 1, edited.Output);
        Assert.Contains("BROKEN at entry 4", edited.Output, StringComparison.Ordinal);
        Assert.Contains("does not match its hash", edited.Output, StringComparison.Ordinal);

        Execute("UPDATE audit_entries SET Status = 404, Outcome = 'refused' WHERE Seq = 4");
        Assert.Equal(0, (await AuditProbe.VerifyCommandAsync(_app.DataDirectory)).ExitCode);

        Execute("DELETE FROM audit_entries WHERE Seq = 2");
        var deleted = await AuditProbe.VerifyCommandAsync(_app.DataDirectory);
        Assert.True(deleted.ExitCode == 1, deleted.Output);
        Assert.Contains("BROKEN at entry 2: entry 2 is missing (deleted) before entry 3", deleted.Output, StringComparison.Ordinal);
    }

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_app.DataDirectory, "kraut.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        Assert.Equal(1, command.ExecuteNonQuery());
    }
}
