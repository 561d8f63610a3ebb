using System.Security.Cryptography;
using System.Text;
using KrautPortal.Features.Store;
using Npgsql;

namespace KrautPortal.TestSupport;

/// <summary>
/// A fresh database (<c>kraut_test_…</c>) on the test PostgreSQL that <c>scripts/start-test-postgres.sh</c> runs, dropped on
/// dispose. The server is found at <c>KRAUT_TEST_POSTGRES_URL</c> (default: the script's URL); a server that does not
/// answer fails the test at once, naming the script.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public const string StartScript = "scripts/start-test-postgres.sh";

    /// <summary>The script's role and maintenance database; fixtures make their own databases through it.</summary>
    public static string AdminUrl => Environment.GetEnvironmentVariable("KRAUT_TEST_POSTGRES_URL") is { Length: > 0 } url
        ? url : "postgres://kraut:kraut@127.0.0.1:5433/kraut";

    private bool _dropped;

    private PostgresServer(string database)
    {
        DatabaseName = database;
        ConnectionString = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database }.ConnectionString;
    }

    public string DatabaseName { get; }

    /// <summary>An Npgsql connection string for this database (what <c>ConnectionStrings:Kraut</c> is given).</summary>
    public string ConnectionString { get; }

    /// <summary>The settings that point a portal at this database.</summary>
    public IReadOnlyDictionary<string, string?> PortalSettings => new Dictionary<string, string?>
    {
        ["Database:Provider"] = "postgres",
        ["ConnectionStrings:Kraut"] = ConnectionString,
    };

    /// <summary>Makes a new empty database with a random name.</summary>
    public static PostgresServer CreateDatabase() => CreateDatabase("kraut_test_" + RandomNumberGenerator.GetHexString(12, lowercase: true));

    /// <summary>The database for a data directory: the same name each time for the same directory (a portal restarted on it finds its data).</summary>
    public static PostgresServer ForDataDirectory(string dataDirectory, bool create)
    {
        var name = "kraut_test_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..16];
        return create ? CreateDatabase(name) : new PostgresServer(name);
    }

    private static PostgresServer CreateDatabase(string name)
    {
        using var connection = OpenAdmin();
        using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE \"{name}\"";
        try
        {
            command.ExecuteNonQuery();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // made before for the same data directory
        }
        return new PostgresServer(name);
    }

    /// <summary>Opens a connection to this database (for tests that look at tables or plans directly).</summary>
    public NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    /// <summary>A connection to this database, or null when it does not exist (yet, or any more).</summary>
    public NpgsqlConnection? OpenIfExists()
    {
        try
        {
            return Open();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            return null;
        }
    }

    /// <summary>Every row of every table, as pg_dump writes them (a check that a secret is stored nowhere in clear).</summary>
    public byte[] DumpData()
    {
        var c = new NpgsqlConnectionStringBuilder(ConnectionString);
        var start = new System.Diagnostics.ProcessStartInfo("pg_dump")
        {
            ArgumentList = { "--data-only", "--no-owner", "-h", c.Host!, "-p", c.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", c.Username!, "-d", DatabaseName },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PGPASSWORD"] = c.Password ?? "";
        using var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("pg_dump (package postgresql-client) did not start");
        var stderrTask = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"pg_dump of {DatabaseName} failed: {stderrTask.Result}");
        return Encoding.UTF8.GetBytes(stdout);
    }

    public void Dispose()
    {
        if (_dropped) return;
        _dropped = true;
        NpgsqlConnection.ClearAllPools();
        using var connection = OpenAdmin();
        using var command = connection.CreateCommand();
        // FORCE: a portal's pooled connections may still be open.
        command.CommandText = $"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)";
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                command.ExecuteNonQuery();
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege && attempt < 50)
            {
                // An autovacuum worker is in the database: FORCE may not terminate it (it runs as no role the test user
                // may signal), and it finishes a small database in moments.
                Thread.Sleep(200);
            }
        }
    }

    private static string AdminConnectionString => DatabaseSetup.PostgresConnectionString(AdminUrl);

    private static NpgsqlConnection OpenAdmin()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(AdminConnectionString) { Timeout = 5, Pooling = false }.ConnectionString);
        try
        {
            connection.Open();
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            connection.Dispose();
            throw new InvalidOperationException(
                $"The test PostgreSQL at {AdminUrl} is not reachable ({e.Message}). Start it with {StartScript} (as root), "
                + "or point KRAUT_TEST_POSTGRES_URL at a server where the role may create databases.", e);
        }
        return connection;
    }
}

/// <summary>
/// Which database the test portals use: SQLite in their data directory (default), or with <c>KRAUT_TEST_DATABASE=postgres</c>
/// a database of their own on the test PostgreSQL. The one place the choice is made for every test portal.
/// </summary>
public static class TestDatabase
{
    public static bool IsPostgres =>
        string.Equals(Environment.GetEnvironmentVariable("KRAUT_TEST_DATABASE"), "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The settings for a portal on <paramref name="dataDirectory"/>: none for SQLite (it uses kraut.db there); for
    /// PostgreSQL the provider and the connection string of the directory's own database, made when <paramref name="create"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> Settings(string dataDirectory, bool create = true) =>
        IsPostgres ? PostgresServer.ForDataDirectory(dataDirectory, create).PortalSettings : new Dictionary<string, string?>();

    /// <summary>Drops the directory's PostgreSQL database, if the tests use PostgreSQL.</summary>
    public static void Remove(string dataDirectory)
    {
        if (IsPostgres) PostgresServer.ForDataDirectory(dataDirectory, create: false).Dispose();
    }
}
