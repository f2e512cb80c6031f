using ImidCare.Rules.Rems;
using ImidCare.Server.Infrastructure;
using ImidCare.Store;
using ImidCare.Store.Entities;
using NodaTime;
using Npgsql;

namespace ImidCare.Server.Rems;

/// <summary>
/// ImidCare:StatusCache — whether the pharmacy's status check may answer from memory, how often
/// writes made elsewhere are looked for, and how many entries it keeps (a bound on memory: past
/// it, the entries least recently used make room; at least 3).
/// </summary>
public sealed record StatusCacheOptions(bool Enabled, TimeSpan PollEvery, int MaxEntries = 200_000)
{
    public static StatusCacheOptions From(IConfiguration config) => new(
        Settings.On(config, "ImidCare:StatusCache:Enabled"),
        TimeSpan.FromMilliseconds(config.GetValue("ImidCare:StatusCache:PollMilliseconds", 100)),
        Math.Max(3, config.GetValue("ImidCare:StatusCache:MaxEntries", 200_000)));
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
    // Kept as bytes in fixed slots, not as objects (StatusSlots: the collector's pauses while the
    // cache filled were the first lookups' p99). A full set makes room by dropping its least
    // recently used entry, never the whole cache (until session 11 a full cache emptied itself).
    private readonly StatusSlots slots = new(options.MaxEntries);
    private long hits;
    private long misses;
    private long refused;

    /// <summary>Entries held now, stale ones included: at most the bound.</summary>
    public int Count => slots.Count;

    public long Hits => Interlocked.Read(ref hits);

    public long Misses => Interlocked.Read(ref misses);

    /// <summary>Reads not kept because the entry cannot be held as bytes (open holds, a very long name): each such number is read from the database every time.</summary>
    public long NotKept => Interlocked.Read(ref refused);

    /// <summary>The facts this pharmacy's check of the number was last decided on, while nothing they came from has been written: decoded afresh, at <paramref name="now"/>.</summary>
    public bool TryGet(string number, string pharmacyId, Instant now, out (AuthorizationRecord Authorization, Patient Patient, ConfirmationFacts Facts) entry)
    {
        if (options.Enabled && changes.Watching && slots.TryGet(number, pharmacyId, now, out entry))
        {
            Interlocked.Increment(ref hits);
            return true;
        }

        Interlocked.Increment(ref misses);
        entry = default;
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

        if (!slots.Put(stamp, pharmacyId, a, patient, facts))
        {
            Interlocked.Increment(ref refused);
        }
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
