using ImidCare.Store;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ImidCare.Server.Tests.Support;

/// <summary>
/// A fresh, empty database per test fixture: a SQLite file in a temp folder, or a new database on
/// the PostgreSQL server that ./test.sh starts (IMIDCARE_TEST_PG). A missing PostgreSQL fails the
/// tests loudly: they are never skipped.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string? sqliteDir;
    private readonly string? pgName;
    private readonly string? pgAdmin;

    private TestDatabase(StorageOptions options, string? sqliteDir, string? pgName, string? pgAdmin)
    {
        Options = options;
        this.sqliteDir = sqliteDir;
        this.pgName = pgName;
        this.pgAdmin = pgAdmin;
    }

    public StorageOptions Options { get; }

    public static async Task<TestDatabase> CreateAsync(StorageProvider provider)
    {
        if (provider == StorageProvider.Sqlite)
        {
            var dir = Directory.CreateTempSubdirectory("imidcare-test-").FullName;
            return new TestDatabase(StorageOptions.DefaultSqlite(Path.Combine(dir, "imidcare.db")), dir, null, null);
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
        if (sqliteDir is not null)
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(sqliteDir, true);
            }
            catch (IOException)
            {
                // A file still held open only leaves a temp folder behind.
            }
        }

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
