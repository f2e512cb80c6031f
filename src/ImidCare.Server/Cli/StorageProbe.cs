using System.CommandLine;
using System.Data.Common;
using System.Diagnostics;
using ImidCare.Store;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Cli;

/// <summary>
/// `imidcare storage-probe`: the raw durable commit rate of the configured database on this
/// machine — one-row transactions, then 100-row transactions — with the same connection settings
/// the server uses (SQLite WAL with synchronous=FULL; PostgreSQL with fsync on). It is the ceiling
/// the write path's group commit is measured against (docs/benchmarks.md). Works in a scratch table
/// it drops afterwards.
/// </summary>
internal static class StorageProbe
{
    public static Command Command()
    {
        var provider = new Option<string>("--provider") { DefaultValueFactory = _ => "sqlite" };
        var connection = new Option<string?>("--connection");
        var seconds = new Option<int>("--seconds") { Description = "Seconds per measurement.", DefaultValueFactory = _ => 5 };
        var command = new Command("storage-probe", "Measure the database's raw durable commit rate (single rows and batches of 100).") { provider, connection, seconds };
        command.SetAction(async (r, ct) =>
        {
            await using var sp = Commands.Open(r.GetValue(provider)!, r.GetValue(connection));
            var factory = sp.GetRequiredService<IDbContextFactory<ImidCareDb>>();
            await using var db = await factory.CreateDbContextAsync(ct);
            await db.Database.OpenConnectionAsync(ct);
            var c = db.Database.GetDbConnection();
            await Exec(c, null, "DROP TABLE IF EXISTS storage_probe", ct);
            await Exec(c, null, "CREATE TABLE storage_probe (id BIGINT PRIMARY KEY, payload VARCHAR(200) NOT NULL)", ct);
            var limit = TimeSpan.FromSeconds(r.GetValue(seconds));
            long id = 0;
            foreach (var batch in new[] { 1, 100 })
            {
                long commits = 0, rows = 0;
                var watch = Stopwatch.StartNew();
                while (watch.Elapsed < limit)
                {
                    await using var tx = await c.BeginTransactionAsync(ct);
                    for (var i = 0; i < batch; i++)
                    {
                        await Exec(c, tx, $"INSERT INTO storage_probe (id, payload) VALUES ({++id}, 'a dispense-sized row of about one hundred characters, written and made durable')", ct);
                        rows++;
                    }

                    await tx.CommitAsync(ct);
                    commits++;
                }

                var s = watch.Elapsed.TotalSeconds;
                Console.WriteLine($"batch {batch,3}: {commits / s,10:N0} commits/s  {rows / s,10:N0} rows/s");
            }

            if (c is Microsoft.Data.Sqlite.SqliteConnection)
            {
                Console.WriteLine($"SQLite threading mode: {SqliteProcess.ThreadingMode}");
            }

            await Exec(c, null, "DROP TABLE storage_probe", ct);
            return 0;
        });
        return command;
    }

    private static async Task Exec(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
