using System.Collections.Concurrent;
using System.Globalization;

namespace ImidCare.Store;

/// <summary>
/// PostgreSQL's view of which write transactions have finished, and which of them were this
/// process's write gate's own. A snapshot (`pg_current_snapshot()`) names the transactions that
/// had been given an id and were still running (<see cref="Running"/>) and the first id not yet
/// given (<see cref="Xmax"/>); only a transaction that writes is given an id. So between two
/// snapshots, the transactions that finished are those running in the first and not in the
/// second, and those given an id between the two and not running in the second: a change of
/// data in between must be one of them. Unlike the WAL position, which a read's page pruning, a
/// checkpoint or a vacuum also moves, this moves only with writing transactions.
/// </summary>
public sealed record PostgresSnapshot(ulong Xmin, ulong Xmax, IReadOnlySet<ulong> Running)
{
    /// <summary>More ids given between two looks than this, and the finished ones are not listed: something else wrote, surely.</summary>
    public const ulong MaxListed = 100_000;

    /// <summary>
    /// The 64-bit id (epoch above) of a 32-bit one — a row's xmin, `pg_stat_activity`'s
    /// backend_xid — taken as the one nearest to <paramref name="near"/>, a 64-bit id of the same
    /// moment: PostgreSQL keeps every live id within 2^31 of the next one it gives.
    /// </summary>
    public static ulong Widen(uint xid, ulong near) => near + (ulong)(long)(int)(xid - (uint)near);

    /// <summary>Parses `pg_current_snapshot()::text`: "xmin:xmax:xip,xip,…".</summary>
    public static PostgresSnapshot Parse(string text)
    {
        var parts = text.Split(':');
        if (parts.Length != 3)
        {
            throw new FormatException($"Not a PostgreSQL snapshot: {text}");
        }

        var running = parts[2].Length == 0
            ? new HashSet<ulong>()
            : parts[2].Split(',').Select(x => ulong.Parse(x, CultureInfo.InvariantCulture)).ToHashSet();
        return new PostgresSnapshot(ulong.Parse(parts[0], CultureInfo.InvariantCulture), ulong.Parse(parts[1], CultureInfo.InvariantCulture), running);
    }

    /// <summary>
    /// Whether a transaction other than <paramref name="own"/> ones finished between this snapshot
    /// and <paramref name="later"/> (committed or aborted: an aborted one counts too, to be safe).
    /// </summary>
    public bool OthersFinishedBy(PostgresSnapshot later, Func<ulong, bool> own)
    {
        if (later.Xmax < Xmax || later.Xmax - Xmax > MaxListed)
        {
            return true;
        }

        foreach (var x in Running)
        {
            if (!later.Running.Contains(x) && !own(x))
            {
                return true;
            }
        }

        for (var x = Xmax; x < later.Xmax; x++)
        {
            if (!later.Running.Contains(x) && !own(x))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The change watcher's reading of successive looks: whether a transaction finished since the
/// last look that was neither this process's write gate's own (<see cref="OwnPostgresTransactions"/>)
/// nor an autovacuum worker's. An automatic ANALYZE gives itself a transaction id to store the
/// planner's statistics; it changes no row any query of ours reads, but to the snapshot it is one
/// more writing transaction finished, and until session 8 every analyze after a write load emptied
/// the status cache. A worker's id is known only from `pg_stat_activity` while it runs, at a look
/// (<see cref="AutovacuumSql"/>; an id given and finished between two looks still counts as a
/// write), and only when the database role may see other sessions' transaction ids (a superuser,
/// or a member of `pg_read_all_stats`); otherwise none is seen and every one counts, as before.
/// </summary>
public sealed class PostgresChangeWatch
{
    /// <summary>The running autovacuum workers' transaction ids (32-bit), comma-separated, or null.</summary>
    public const string AutovacuumSql = "SELECT string_agg(backend_xid::text, ',') FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND backend_xid IS NOT NULL";

    private readonly HashSet<ulong> autovacuum = [];
    private PostgresSnapshot? last;

    /// <summary>
    /// Takes one look: the snapshot and the autovacuum ids read with it. True when someone else
    /// may have written since the previous look, or there was none to compare with.
    /// </summary>
    public bool Look(PostgresSnapshot now, string? autovacuumIds)
    {
        foreach (var part in (autovacuumIds ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            // pg_stat_activity shows the 32-bit id, the snapshot 64-bit ones.
            autovacuum.Add(PostgresSnapshot.Widen(uint.Parse(part, CultureInfo.InvariantCulture), now.Xmax));
        }

        var othersWrote = last is null || last.OthersFinishedBy(now, x => OwnPostgresTransactions.Contains(x) || autovacuum.Contains(x));

        // One look behind: an id outlives its finish by at least one interval.
        if (last is not null)
        {
            OwnPostgresTransactions.ForgetBelow(last.Xmin);
            autovacuum.RemoveWhere(x => x < last.Xmin);
        }

        last = now;
        return othersWrote;
    }

    /// <summary>After a failed look: the next one compares with nothing.</summary>
    public void Reset() => last = null;
}

/// <summary>
/// The ids of the transactions this process's write gate committed on PostgreSQL, recorded before
/// each commit while a watcher looks (<see cref="Recording"/>). Those writes move
/// <see cref="DataGeneration"/> themselves, per patient where they can; the watcher must not take
/// them for another node's and empty the whole cache. Forgotten once finished and older than the
/// oldest running transaction, so the set stays as small as the batches in flight.
/// </summary>
public static class OwnPostgresTransactions
{
    private static readonly ConcurrentDictionary<ulong, byte> Ids = new();
    private static int watchers;

    public static bool Recording => Volatile.Read(ref watchers) > 0;

    public static IDisposable Watch()
    {
        Interlocked.Increment(ref watchers);
        return new Stop();
    }

    public static void Add(ulong id) => Ids.TryAdd(id, 0);

    public static bool Contains(ulong id) => Ids.ContainsKey(id);

    /// <summary>Drops the ids below <paramref name="xmin"/>: finished, and already looked at by the diff that saw them finish.</summary>
    public static void ForgetBelow(ulong xmin)
    {
        foreach (var id in Ids.Keys)
        {
            if (id < xmin)
            {
                Ids.TryRemove(id, out _);
            }
        }
    }

    private sealed class Stop : IDisposable
    {
        private int stopped;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref stopped, 1) == 0)
            {
                Interlocked.Decrement(ref watchers);
            }
        }
    }
}
