using System.Collections.Concurrent;
using ImidCare.Rules.Rems;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ImidCare.Server.Rems;

/// <summary>ImidCare:StatusCache — whether the pharmacy's status check may answer from memory, and how often writes made elsewhere are looked for.</summary>
public sealed record StatusCacheOptions(bool Enabled, TimeSpan PollEvery)
{
    public static StatusCacheOptions From(IConfiguration config) => new(
        !string.Equals(config["ImidCare:StatusCache:Enabled"], "false", StringComparison.OrdinalIgnoreCase),
        TimeSpan.FromMilliseconds(config.GetValue("ImidCare:StatusCache:PollMilliseconds", 100)));
}

/// <summary>
/// What a pharmacy's status check was last decided on, per authorization and pharmacy, kept with
/// the <see cref="DataGeneration"/> read before it was loaded. The answer is recomputed on every
/// call (the decision depends on the time); only the facts are reused, and only while nothing has
/// been written since they were read: by this process (the count moves before any writer is
/// answered) or, within <see cref="StatusCacheOptions.PollEvery"/>, by another process or node
/// (<see cref="ExternalChanges"/>). The confirmation itself never uses this: the write gate reads
/// its facts afresh inside its transaction. Reading those facts costs a dozen statements; this is
/// what lets the counter's most frequent call approach the HTTP limit (docs/benchmarks.md).
/// </summary>
public sealed class StatusCache(StatusCacheOptions options, ExternalChanges changes)
{
    /// <summary>A bound on memory: past it, every entry is dropped and the cache fills again.</summary>
    public const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<(string Number, string PharmacyId), Entry> entries = new();
    private long hits;
    private long misses;

    public sealed record Entry(long Generation, AuthorizationRecord Authorization, Patient Patient, ConfirmationFacts Facts);

    public long Hits => Interlocked.Read(ref hits);

    public long Misses => Interlocked.Read(ref misses);

    public bool TryGet(string number, string pharmacyId, out Entry entry)
    {
        if (options.Enabled && changes.Watching && entries.TryGetValue((number, pharmacyId), out entry!) && entry.Generation == DataGeneration.Current)
        {
            Interlocked.Increment(ref hits);
            return true;
        }

        Interlocked.Increment(ref misses);
        entry = null!;
        return false;
    }

    /// <param name="generation">The count read before the facts were: an entry never claims to be newer than what it holds.</param>
    public void Put(long generation, string pharmacyId, AuthorizationRecord a, Patient patient, ConfirmationFacts facts)
    {
        if (!options.Enabled)
        {
            return;
        }

        if (entries.Count >= MaxEntries)
        {
            entries.Clear();
        }

        entries[(a.Number, pharmacyId)] = new Entry(generation, a, patient, facts);
    }
}

/// <summary>
/// Looks for writes made by other processes or nodes (a second server on the same PostgreSQL, an
/// `imidcare` command on the same SQLite file) and moves <see cref="DataGeneration"/> when it
/// sees one. SQLite: `PRAGMA data_version` on a connection of its own, which changes whenever
/// another connection commits. PostgreSQL: the server's WAL insert position, which moves with
/// every write. While the watcher is not seeing the database (not started, or its last look
/// failed or is older than three intervals), <see cref="Watching"/> is false and the cache answers nothing.
/// </summary>
public sealed class ExternalChanges(StorageOptions storage, StatusCacheOptions options, ILogger<ExternalChanges> log) : BackgroundService
{
    private long lastSeenTicks;

    public bool Watching
    {
        get
        {
            var seen = Interlocked.Read(ref lastSeenTicks);
            return seen != 0 && Environment.TickCount64 - seen < 3 * options.PollEvery.TotalMilliseconds;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.PollEvery);
        string? last = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = Open();
                await connection.OpenAsync(stoppingToken);
                await using var cmd = connection.CreateCommand();
                cmd.CommandText = storage.Provider == StorageProvider.Postgres ? "SELECT pg_current_wal_insert_lsn()::text" : "PRAGMA data_version";
                do
                {
                    var now = Convert.ToString(await cmd.ExecuteScalarAsync(stoppingToken), System.Globalization.CultureInfo.InvariantCulture);
                    if (now != last)
                    {
                        DataGeneration.Advance();
                        last = now;
                    }

                    Interlocked.Exchange(ref lastSeenTicks, Environment.TickCount64);
                }
                while (await timer.WaitForNextTickAsync(stoppingToken));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Not seeing the database: the cache stops answering (Watching turns false) until a look succeeds.
                DataGeneration.Advance();
                last = null;
                log.LogWarning(e, "Looking for writes by other processes failed; the status cache is bypassed until it succeeds.");
                try
                {
                    await Task.Delay(options.PollEvery * 10, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private System.Data.Common.DbConnection Open() => storage.Provider == StorageProvider.Postgres
        ? new NpgsqlConnection(storage.EffectiveConnectionString)
        : new SqliteConnection(storage.ConnectionString);
}
