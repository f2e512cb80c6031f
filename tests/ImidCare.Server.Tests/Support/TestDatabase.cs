using ImidCare.Store;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ImidCare.Server.Tests.Support;

/// <summary>
/// A fresh, empty database per test fixture: a SQLite file in a temp folder, or a new database on
/// the PostgreSQL server that ./test.sh starts (IMIDCARE_TEST_PG). A missing PostgreSQL fails the
/// tests loudly: they are never skipped.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly TempFolder? sqliteFolder;
    private readonly string? pgName;
    private readonly string? pgAdmin;

    private TestDatabase(StorageOptions options, TempFolder? sqliteFolder, string? pgName, string? pgAdmin)
    {
        Options = options;
        this.sqliteFolder = sqliteFolder;
        this.pgName = pgName;
        this.pgAdmin = pgAdmin;
    }

    public StorageOptions Options { get; }

    /// <summary>A new context on this database, for a test to read or prepare rows directly.</summary>
    public ImidCareDb Context()
    {
        var builder = new DbContextOptionsBuilder<ImidCareDb>();
        Options.Configure(builder);
        return new ImidCareDb(builder.Options);
    }

    public static async Task<TestDatabase> CreateAsync(StorageProvider provider)
    {
        if (provider == StorageProvider.Sqlite)
        {
            var folder = TempFolder.Create("imidcare-test-");
            return new TestDatabase(StorageOptions.DefaultSqlite(folder.File("imidcare.db")), folder, null, null);
        }

        var admin = Environment.GetEnvironmentVariable("IMIDCARE_TEST_PG")
            ?? throw new InvalidOperationException("IMIDCARE_TEST_PG is not set: run the tests with ./test.sh, which starts a throw-away PostgreSQL.");
        var name = $"imidcare_t_{Guid.NewGuid():N}"[..28];
        await using (var conn = new NpgsqlConnection(admin))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        var cs = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString();
        return new TestDatabase(new StorageOptions(StorageProvider.Postgres, cs), null, name, admin);
    }

    public async ValueTask DisposeAsync()
    {
        sqliteFolder?.Dispose();

        if (pgName is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var conn = new NpgsqlConnection(pgAdmin);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {pgName} WITH (FORCE)", conn);
            await cmd.ExecuteNonQueryAsync();
        }
    }
}
