using ImidCare.Store.Audit;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using NodaTime;

namespace ImidCare.Store;

public enum StorageProvider
{
    Sqlite,
    Postgres,
}

public sealed record StorageOptions(StorageProvider Provider, string ConnectionString)
{
    public static StorageOptions DefaultSqlite(string path) =>
        new(StorageProvider.Sqlite, new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30, ForeignKeys = true }.ToString());

    public void Configure(DbContextOptionsBuilder b)
    {
        _ = Provider == StorageProvider.Postgres
            ? b.UseNpgsql(ConnectionString)
            : b.UseSqlite(ConnectionString);

        // Hand-written migrations have no model snapshot, so EF would always report pending changes.
        b.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
        if (Provider == StorageProvider.Sqlite)
        {
            b.AddInterceptors(SqlitePragmas.Instance);
        }
    }
}

/// <summary>
/// SQLite runs in WAL mode (a property of the file, set once when the database is prepared) with
/// full sync on every connection: a dispense is acknowledged only after its commit is on disk.
/// Only the cheap per-connection pragma runs on each open — EF opens a pooled connection per query.
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();

    public override void ConnectionOpened(System.Data.Common.DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(System.Data.Common.DbConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA synchronous=FULL;";
        cmd.ExecuteNonQuery();
    }
}

/// <summary>
/// The single door for state changes: one transaction, the audit chain appended inside it, and
/// writes serialised so the chain stays linear. On SQLite one process owns the file, so an
/// in-process lock suffices; on PostgreSQL several nodes may share the database, so the lock is a
/// transaction-scoped advisory lock held by the database, not by any node's memory.
/// </summary>
public sealed class WriteGate(IDbContextFactory<ImidCareDb> factory, StorageOptions options, IClock clock)
{
    private const long AuditChainLockKey = 0x1D1CA4E;
    private readonly SemaphoreSlim local = new(1, 1);

    public async Task<T> RunAsync<T>(Func<ImidCareDb, AuditWriter, Instant, Task<T>> work, CancellationToken ct = default)
    {
        await local.WaitAsync(ct);
        try
        {
            await using var db = await factory.CreateDbContextAsync(ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (options.Provider == StorageProvider.Postgres)
            {
                await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock({AuditChainLockKey})", ct);
            }

            // The clock is read once, after the lock: records are appended in time order.
            var now = clock.GetCurrentInstant();
            var audit = await AuditWriter.OpenAsync(db, now, ct);
            var result = await work(db, audit, now);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return result;
        }
        finally
        {
            local.Release();
        }
    }
}

public static class DatabaseSetup
{
    public static async Task MigrateAsync(IDbContextFactory<ImidCareDb> factory, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        if (db.Database.IsSqlite())
        {
            // WAL is persistent in the file: readers never wait for the writer.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }

        await db.Database.MigrateAsync(ct);
    }
}
