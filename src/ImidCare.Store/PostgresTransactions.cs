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
