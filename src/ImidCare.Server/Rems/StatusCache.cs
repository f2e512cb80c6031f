using BitFaster.Caching.Lru;
using ImidCare.Rules.Rems;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Npgsql;

namespace ImidCare.Server.Rems;

/// <summary>
/// ImidCare:StatusCache — whether the pharmacy's status check may answer from memory, how often
/// writes made elsewhere are looked for, and how many entries it keeps (a bound on memory: past
/// it, the entries least recently used make room; at least 3).
/// </summary>
public sealed record StatusCacheOptions(bool Enabled, TimeSpan PollEvery, int MaxEntries = 100_000)
{
    public static StatusCacheOptions From(IConfiguration config) => new(
        !string.Equals(config["ImidCare:StatusCache:Enabled"], "false", StringComparison.OrdinalIgnoreCase),
        TimeSpan.FromMilliseconds(config.GetValue("ImidCare:StatusCache:PollMilliseconds", 100)),
        Math.Max(3, config.GetValue("ImidCare:StatusCache:MaxEntries", 100_000)));
}

/// <summary>
/// What a pharmacy's status check was last decided on, per authorization and pharmacy, kept with
/// the <see cref="DataGeneration.Stamp"/> of its read: the process-wide count read before it was
/// loaded and its patient's count. The answer is recomputed on every call (the decision depends on
/// the time); only the facts are reused, and only while nothing has been written since they were
/// read, by anyone or to that patient: by this process (the counts move before any writer is
/// answered; a counter's confirmation or dispense moves only its patient's, and a write to a table
/// no entry is read from, such as a login's or the dose diary's, moves none) or, within
/// <see cref="StatusCacheOptions.PollEvery"/>, by another process or node (<see cref="ExternalChanges"/>).
/// The confirmation itself never uses this: the write gate reads its facts afresh inside its
/// transaction. Reading those facts costs a dozen statements' worth of driver work; this is what
/// lets the counter's most frequent call approach the HTTP limit (docs/benchmarks.md).
/// </summary>
public sealed class StatusCache(StatusCacheOptions options, ExternalChanges changes)
{
    // Bounded by a segmented LRU (BitFaster.Caching, docs/dependencies.md): a new number past the
    // bound evicts an entry not read lately. Until session 11 it emptied the whole cache, so with
    // more live numbers than the bound every lookup after a cycle of them was a miss.
    // (The bound is at least 3, as the LRU's three queues need: StatusCacheOptions.From.)
    private readonly ConcurrentLru<(string Number, string PharmacyId), Entry> entries = new(options.MaxEntries);
    private long hits;
    private long misses;

    public sealed record Entry(DataGeneration.Stamp Stamp, AuthorizationRecord Authorization, Patient Patient, ConfirmationFacts Facts);

    /// <summary>Entries held now, stale ones included: at most the bound.</summary>
    public int Count => entries.Count;

    public long Hits => Interlocked.Read(ref hits);

    public long Misses => Interlocked.Read(ref misses);

    public bool TryGet(string number, string pharmacyId, out Entry entry)
    {
        if (options.Enabled && changes.Watching && entries.TryGet((number, pharmacyId), out entry!) && DataGeneration.IsCurrent(entry.Stamp))
        {
            Interlocked.Increment(ref hits);
            return true;
        }

        Interlocked.Increment(ref misses);
        entry = null!;
        return false;
    }

    /// <param name="before">Taken before the facts were read: an entry never claims to be newer than what it holds.</param>
    public void Put(DataGeneration.ReadStart before, string pharmacyId, AuthorizationRecord a, Patient patient, ConfirmationFacts facts)
    {
        // A write to this patient may have landed during the read: answer it, keep nothing.
        if (!options.Enabled || !DataGeneration.TryStamp(before, patient.Id, out var stamp))
        {
            return;
        }

        entries.AddOrUpdate((a.Number, pharmacyId), new Entry(stamp, a, patient, facts));
    }
}

/// <summary>
/// Looks for writes made by other processes or nodes (a second server on the same PostgreSQL, an
/// `imidcare` command on the same SQLite file) and moves <see cref="DataGeneration"/> when it
/// sees one. SQLite: the write gate's writer does it (`PRAGMA data_version` on its own
/// connection, which moves only for other connections' commits; see <see cref="WriteGate.OtherWritersSeenAt"/>).
/// PostgreSQL: the count of committed transactions that wrote a cached table, which a trigger on
/// each of those tables moves whoever writes (<see cref="CachedFactsVersion"/>): any value since
/// the last look that this process's write gate did not take is another's write. A login, a diary
/// entry, an automatic ANALYZE moves it not at all. (Until session 12, the server's transaction
/// snapshot, which every writing transaction moves: docs/decisions/0006.) While the database is
/// not being watched (not started, or the last look failed or is older than three intervals),
/// <see cref="Watching"/> is false and the cache answers nothing.
/// </summary>
public sealed class ExternalChanges(StorageOptions storage, StatusCacheOptions options, WriteGate gate, ILogger<ExternalChanges> log) : BackgroundService
{
    private long lastSeenTicks;

    public bool Watching
    {
        get
        {
            return storage.Provider == StorageProvider.Postgres
                ? Recent(Interlocked.Read(ref lastSeenTicks), options.PollEvery)
                : Recent(gate.OtherWritersSeenAt, WriteGate.OtherWritersEvery);

            // A look is recent within three intervals; 0 is no look yet, or a failed one.
            static bool Recent(long lookedAt, TimeSpan every) => lookedAt != 0 && Environment.TickCount64 - lookedAt < 3 * every.TotalMilliseconds;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled || storage.Provider != StorageProvider.Postgres)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.PollEvery);
        var version = gate.CachedFacts;
        using var recording = version.Watch();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = Open();
                await connection.OpenAsync(stoppingToken);
                await using var cmd = connection.CreateCommand();
                cmd.CommandText = CachedFactsVersion.ReadSql;
                do
                {
                    if (version.Look((long)(await cmd.ExecuteScalarAsync(stoppingToken))!))
                    {
                        DataGeneration.Advance();
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
                version.Reset();
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

    private NpgsqlConnection Open() => new(storage.EffectiveConnectionString);
}
