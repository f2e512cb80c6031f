using ImidCare.Server.Tests.Support;
using ImidCare.Store;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace ImidCare.Server.Tests.Reliability;

/// <summary>
/// Kept-open sessions: a returned session keeps its connection and prepared commands for the next
/// caller; one that may be unsound (returned inside a transaction, or after a failure) is closed.
/// </summary>
public abstract class SqlSessionTests(ImidCareApp app)
{
    private SqlSessionPool NewPool() => new(app.Services.GetRequiredService<StorageOptions>());

    [Fact]
    public async Task AReturnedSession_IsReused_WithItsCommand()
    {
        await using var pool = NewPool();
        var first = await pool.RentAsync(CancellationToken.None);
        var cmd = first.Command("SELECT 41 + 1");
        (Convert.ToInt32(await cmd.ExecuteScalarAsync())).ShouldBe(42);
        await pool.ReturnAsync(first);

        var again = await pool.RentAsync(CancellationToken.None);
        again.ShouldBeSameAs(first);
        var same = again.Command("SELECT 41 + 1");
        if (app.Storage.Provider == StorageProvider.Sqlite)
        {
            // PostgreSQL's is a fresh command on the same connection, prepared there (PostgresPreparedStatementTests).
            same.ShouldBeSameAs(cmd);
        }

        (Convert.ToInt32(await same.ExecuteScalarAsync())).ShouldBe(42);
        again.Db.Database.GetDbConnection().State.ShouldBe(System.Data.ConnectionState.Open);
        await pool.ReturnAsync(again);
    }

    [Fact]
    public async Task ASessionReturnedInsideATransaction_OrAfterAFailure_IsClosedNotKept()
    {
        await using var pool = NewPool();
        var inTransaction = await pool.RentAsync(CancellationToken.None);
        await inTransaction.Db.Database.BeginTransactionAsync();
        var connection = inTransaction.Db.Database.GetDbConnection();
        await pool.ReturnAsync(inTransaction);
        connection.State.ShouldBe(System.Data.ConnectionState.Closed);

        var failed = await pool.RentAsync(CancellationToken.None);
        failed.ShouldNotBeSameAs(inTransaction);
        await pool.ReturnAsync(failed, healthy: false);

        var next = await pool.RentAsync(CancellationToken.None);
        next.ShouldNotBeSameAs(failed);
        await pool.ReturnAsync(next);
    }

    [Fact]
    public async Task TheWriterSession_HasNoLeftoverTracking_BetweenBatches()
    {
        var gate = app.Services.GetRequiredService<WriteGate>();
        var tag = Guid.NewGuid().ToString("N");
        await gate.RunAsync(async (db, audit, now) =>
        {
            db.IdempotencyRecords.Add(new Store.Entities.IdempotencyRecord { CallerId = "test", Key = tag, RequestHash = "h", StatusCode = 200, ResponseJson = "{}", At = now });
            audit.Append(new Actor("test", "test"), "test.session", $"test/{tag}", "{}");
            await Task.Yield();
            return 0;
        });

        var tracked = await gate.RunAsync((db, audit, now) => Task.FromResult(db.ChangeTracker.Entries().Count()));
        tracked.ShouldBe(0);
        await using var check = await app.DbAsync();
        (await check.Audit.CountAsync(r => r.Subject == $"test/{tag}")).ShouldBe(1);
        (await AuditChain.VerifyAsync(check)).Intact.ShouldBeTrue();
    }
}

public sealed class SqliteSqlSessionTests(SqliteApp app) : SqlSessionTests(app), IClassFixture<SqliteApp>
{
    /// <summary>Every connection, pooled reader or the writer, commits durably and reads the file through its map.</summary>
    [Fact]
    public async Task EveryConnection_SyncsFully_AndReadsThroughTheMap()
    {
        var pool = app.Services.GetRequiredService<SqlSessionPool>();
        var session = await pool.RentAsync(CancellationToken.None);
        try
        {
            Convert.ToInt64(await session.Command("PRAGMA synchronous").ExecuteScalarAsync()).ShouldBe(2);
            Convert.ToInt64(await session.Command("PRAGMA mmap_size").ExecuteScalarAsync()).ShouldBe(SqlitePragmas.MapBytes);
        }
        finally
        {
            await pool.ReturnAsync(session);
        }

        var writer = await app.Services.GetRequiredService<WriteGate>().RunAsync(async (db, audit, now) =>
        {
            await using var cmd = db.Database.GetDbConnection().CreateCommand();
            cmd.CommandText = "PRAGMA synchronous";
            var sync = Convert.ToInt64(await cmd.ExecuteScalarAsync());
            cmd.CommandText = "PRAGMA mmap_size";
            return (sync, map: Convert.ToInt64(await cmd.ExecuteScalarAsync()));
        });
        writer.ShouldBe((2L, SqlitePragmas.MapBytes));
    }

    /// <summary>
    /// SQLite runs without its per-connection mutex (SqliteProcess): sound only while no connection
    /// is used by two threads at once. Readers on pooled sessions, on many threads, beside the
    /// writer committing: every read succeeds and sees the writer's rows only grow.
    /// </summary>
    [Fact]
    public async Task MultiThreadMode_PooledReadersBesideTheWriter_SeeOnlyCommittedGrowth()
    {
        SqliteProcess.ThreadingMode.ShouldBe("multi-thread");
        var gate = app.Services.GetRequiredService<WriteGate>();
        var pool = app.Services.GetRequiredService<SqlSessionPool>();
        var tag = Guid.NewGuid().ToString("N");
        var writing = true;

        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < 300; i++)
            {
                await gate.RunAsync((db, audit, now) =>
                {
                    audit.Append(new Actor("test", "test"), "test.multi-thread", $"test/{tag}/{i}", "{}");
                    return Task.FromResult(i);
                });
            }

            Volatile.Write(ref writing, false);
        });
        var readers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            long last = 0, reads = 0;
            while (Volatile.Read(ref writing) || reads < 50)
            {
                var session = await pool.RentAsync(CancellationToken.None);
                var count = Convert.ToInt64(await session.Command($"SELECT count(*) FROM audit WHERE \"Subject\" LIKE 'test/{tag}/%'").ExecuteScalarAsync());
                await pool.ReturnAsync(session);
                count.ShouldBeGreaterThanOrEqualTo(last);
                last = count;
                reads++;
            }

            return last;
        })).ToList();

        await writer;
        foreach (var seen in await Task.WhenAll(readers))
        {
            seen.ShouldBeLessThanOrEqualTo(300);
        }

        await using var check = await app.DbAsync();
        (await check.Audit.CountAsync(r => r.Action == "test.multi-thread" && r.Subject.StartsWith($"test/{tag}/"))).ShouldBe(300);
        (await AuditChain.VerifyAsync(check)).Intact.ShouldBeTrue();
    }
}

public sealed class PostgresSqlSessionTests(PostgresApp app) : SqlSessionTests(app), IClassFixture<PostgresApp>
{
    /// <summary>
    /// The writer's kept-open connection is killed by the database (a restart, a failover, an
    /// administrator): the write on it fails and is not acknowledged, the writer opens a new
    /// connection, and the next write commits.
    /// </summary>
    [Fact]
    public async Task TheWriter_RecoversFromALostConnection()
    {
        var gate = app.Services.GetRequiredService<WriteGate>();
        var pid = await gate.RunAsync(async (db, audit, now) => await db.Database.SqlQueryRaw<int>("SELECT pg_backend_pid() AS \"Value\"").SingleAsync());
        await using (var admin = await app.DbAsync())
        {
            (await admin.Database.SqlQueryRaw<bool>("SELECT pg_terminate_backend({0}) AS \"Value\"", pid).SingleAsync()).ShouldBeTrue();
        }

        var tag = Guid.NewGuid().ToString("N");
        Task<int> Write(int n) => gate.RunAsync((db, audit, now) =>
        {
            audit.Append(new Actor("test", "test"), "test.reconnect", $"test/{tag}/{n}", "{}");
            return Task.FromResult(n);
        });

        // The first write finds the dead connection (or, if the pool noticed first, already a new one).
        int? firstResult = null;
        try
        {
            firstResult = await Write(1);
        }
        catch (Exception)
        {
        }

        (await Write(2)).ShouldBe(2);
        var newPid = await gate.RunAsync(async (db, audit, now) => await db.Database.SqlQueryRaw<int>("SELECT pg_backend_pid() AS \"Value\"").SingleAsync());
        newPid.ShouldNotBe(pid);

        await using var check = await app.DbAsync();
        var written = await check.Audit.Where(r => r.Action == "test.reconnect" && r.Subject.StartsWith($"test/{tag}/")).Select(r => r.Subject).ToListAsync();
        written.ShouldContain($"test/{tag}/2");
        (written.Contains($"test/{tag}/1")).ShouldBe(firstResult is not null, "a write is in the trail exactly when it was acknowledged");
        (await AuditChain.VerifyAsync(check)).Intact.ShouldBeTrue();
    }
}

/// <summary>PostgreSQL statements that repeat are prepared, unless the connection string says otherwise.</summary>
public sealed class PostgresPreparedStatementTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    [Theory]
    [InlineData("Host=db;Username=u", 64)]
    [InlineData("Host=db;Username=u;Max Auto Prepare=0", 0)]
    [InlineData("Host=db;Username=u;MaxAutoPrepare=5", 5)]
    public void TheConnectionString_AsksForAutoPreparing_UnlessItSaysOtherwise(string given, int expected) =>
        new Npgsql.NpgsqlConnectionStringBuilder(new StorageOptions(StorageProvider.Postgres, given).EffectiveConnectionString).MaxAutoPrepare.ShouldBe(expected);

    [Fact]
    public async Task ASessionsRepeatedStatement_IsPreparedOnTheServer()
    {
        await using var pool = new SqlSessionPool(app.Services.GetRequiredService<StorageOptions>());
        var session = await pool.RentAsync(CancellationToken.None);
        const string sql = "SELECT count(*) FROM audit WHERE \"Seq\" > 41";
        for (var i = 0; i < 3; i++)
        {
            await session.Command(sql).ExecuteScalarAsync();
        }

        var prepared = Convert.ToInt64(await session.Command("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%\"Seq\" > 41%'").ExecuteScalarAsync());
        await pool.ReturnAsync(session);
        prepared.ShouldBe(1);
    }

    /// <summary>Npgsql sent the values it was prepared with when a kept command's parameters were cleared and added again.</summary>
    [Fact]
    public async Task APreparedStatement_SendsEachCallsValues()
    {
        await using var pool = new SqlSessionPool(app.Services.GetRequiredService<StorageOptions>());
        var session = await pool.RentAsync(CancellationToken.None);
        var got = new List<long>();
        for (var i = 1L; i <= 5; i++)
        {
            var cmd = session.Command("SELECT @v::bigint + 0");
            var p = cmd.CreateParameter();
            p.ParameterName = "@v";
            p.Value = i;
            cmd.Parameters.Add(p);
            got.Add(Convert.ToInt64(await cmd.ExecuteScalarAsync()));
        }

        await pool.ReturnAsync(session);
        got.ShouldBe([1L, 2L, 3L, 4L, 5L]);
    }
}
