using ImidCare.Server.Rems;
using ImidCare.Store;
using NodaTime;

namespace ImidCare.Server.Infrastructure;

/// <summary>ImidCare:Idempotency:* — whether this node purges expired stored answers, and how often it looks.</summary>
public sealed record IdempotencyPurgeOptions(bool Enabled, Duration Interval)
{
    public static IdempotencyPurgeOptions From(IConfiguration config) => new(
        Settings.On(config, "ImidCare:Idempotency:PurgeEnabled"),
        Settings.Period(config, "ImidCare:Idempotency:PurgeInterval", Duration.FromMinutes(1)));
}

/// <summary>
/// Deletes stored Idempotency-Key answers older than <see cref="Writes.KeyRetention"/>, oldest
/// first, <see cref="BatchSize"/> rows per write-gate request (by the index on At, migration
/// IdempotencyRetention). No request depends on when this runs: a read already treats those rows
/// as absent (<see cref="Writes.HonouredAsync"/>), and the purge deletes only what a read would
/// ignore. Through the gate like every write: on SQLite a delete from another connection would
/// wait for the writer's lock and, seen as another process's commit, empty the status cache.
/// Every node may run it; on PostgreSQL the gate's lock puts their batches one after another, and
/// a batch that finds the rows gone deletes nothing.
/// <para>
/// No audit record: the rows are replay protection, not REMS state. Every change they answered
/// for is in the audit trail already, under its own action; their deletion is fixed by the
/// published window and changes no answer any request can get. A record per batch would put a
/// housekeeping line in the chain several times a second under a keyed pharmacy load.
/// </para>
/// </summary>
public sealed class IdempotencyPurge(WriteGate gate)
{
    /// <summary>
    /// Rows per batch: one batch is one request in a write-gate transaction, and holds the writer
    /// (and the counter's confirmations and dispenses queued behind it) for a few milliseconds only.
    /// </summary>
    public const int BatchSize = 500;

    // The oldest first, by the At index; the outer delete finds each by its primary key. Row values
    // (SQLite 3.15+, PostgreSQL) because the key has two columns; SQLite's DELETE … LIMIT is a build option.
    internal const string PurgeSql = """
        DELETE FROM idempotency WHERE ("CallerId", "Key") IN (
          SELECT i."CallerId", i."Key" FROM idempotency i WHERE i."At" < @before ORDER BY i."At" LIMIT @limit);
        """;

    /// <summary>Deletes at most <see cref="BatchSize"/> expired rows; how many it deleted.</summary>
    public Task<int> PurgeBatchAsync(CancellationToken ct = default) =>
        gate.RunAsync((db, _, now) => FactsQuery.WithCommandAsync(db, PurgeSql, async cmd =>
        {
            FactsQuery.Add(cmd, "before", Writes.RetainedSince(now).ToUnixTimeTicks());
            FactsQuery.Add(cmd, "limit", BatchSize);
            return await cmd.ExecuteNonQueryAsync(ct);
        }), ct, scoped: true);

    /// <summary>Batch after batch until one comes back short: a backlog (the first run after the upgrade) drains in one round.</summary>
    public async Task<int> PurgeAsync(CancellationToken ct = default)
    {
        var total = 0;
        int deleted;
        do
        {
            deleted = await PurgeBatchAsync(ct);
            total += deleted;
        }
        while (deleted == BatchSize && !ct.IsCancellationRequested);

        return total;
    }
}

/// <summary>Runs the purge every <see cref="IdempotencyPurgeOptions.Interval"/> on this node.</summary>
public sealed class IdempotencyPurgeService(IdempotencyPurge purge, IdempotencyPurgeOptions options, ILogger<IdempotencyPurgeService> log)
    : PeriodicService(log, LogLevel.Warning, "Idempotency purge failed; trying again at the next round")
{
    protected override TimeSpan Pause => options.Interval.ToTimeSpan();

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        var deleted = await purge.PurgeAsync(ct);
        if (deleted > 0)
        {
            Log.LogInformation("Idempotency: {Deleted} stored answers past the {Hours} h window deleted", deleted, Writes.KeyRetention.TotalHours);
        }
    }
}
