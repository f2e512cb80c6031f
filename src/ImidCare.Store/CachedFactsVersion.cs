using System.Collections.Concurrent;

namespace ImidCare.Store;

/// <summary>
/// PostgreSQL's count of the committed transactions that wrote a table the status cache keeps
/// facts of (<see cref="DataGeneration.CachedTables"/>; migration CachedFactsVersion), and which
/// of its values this process's write gate took. Each such transaction moves the count by exactly
/// one, under the row's lock, so the committed values are 1, 2, 3… with no gap, each one
/// transaction's; one that rolls back takes its value back with its rows. A change watcher that
/// finds the count moved from <c>last</c> to <c>n</c> knows that transactions <c>last+1…n</c>
/// committed since its last look; every one that is not known here as the gate's own was someone
/// else's write, and the whole cache must go.
/// <para>
/// The gate records its value only after its commit returned, so every value recorded is one it
/// committed. One committed but not yet recorded when the watcher looks counts as another's: an
/// emptied cache, never a stale entry. The gate's own writes move the counts in this process
/// themselves (<see cref="DataGeneration"/>), per patient where they can.
/// </para>
/// <para>
/// Until session 12 the watcher read the server's transaction snapshot instead, which moves with
/// every writing transaction: an automatic ANALYZE, a login, a diary entry, and a savepoint of the
/// gate's own batch whose id it could not learn. Each emptied the cache (docs/decisions/0006).
/// </para>
/// </summary>
public sealed class CachedFactsVersion
{
    public const string Table = "cached_facts_version";
    public const string Function = "imidcare_cached_facts_written";
    public const string Trigger = "cached_facts_written";
    public const string Setting = "imidcare.cached_facts_version";

    /// <summary>The value this transaction took, when it wrote a cached table; empty or null otherwise.</summary>
    public const string TakenSql = $"SELECT current_setting('{Setting}', true)";

    /// <summary>The count, as committed.</summary>
    public const string ReadSql = $"""SELECT "N" FROM {Table} WHERE "Id" = 1""";

    /// <summary>More values than this between two looks are not checked one by one: surely someone else wrote.</summary>
    public const long MaxChecked = 100_000;

    private readonly ConcurrentDictionary<long, byte> own = new();
    private int watchers;
    private long? last;

    /// <summary>Whether a watcher looks: only then does the gate record its values (nothing else would forget them).</summary>
    public bool Recording => Volatile.Read(ref watchers) > 0;

    public IDisposable Watch()
    {
        Interlocked.Increment(ref watchers);
        return new Stop(this);
    }

    /// <summary>A value the gate's transaction took, after its commit returned.</summary>
    public void Committed(long value)
    {
        if (Recording)
        {
            own.TryAdd(value, 0);
        }
    }

    /// <summary>Whether <paramref name="value"/> is recorded as the gate's own and not yet looked at.</summary>
    public bool IsOwn(long value) => own.ContainsKey(value);

    /// <summary>
    /// One look at the count: true when a transaction other than the gate's own committed since
    /// the previous look, or there was none to compare with, or the count went back (a restore,
    /// another database).
    /// </summary>
    public bool Look(long n)
    {
        var others = false;
        if (last is not { } from || n < from || n - from > MaxChecked)
        {
            others = true;
            if (last is { } l && n < l)
            {
                // Values recorded before a restore may be taken again by anyone.
                own.Clear();
            }
        }
        else
        {
            for (var k = from + 1; k <= n && !others; k++)
            {
                others = !own.ContainsKey(k);
            }
        }

        // Each value is looked at once, in the one interval it fell in; one recorded after the
        // look that counted it was already taken for another's, and is dropped too.
        foreach (var k in own.Keys)
        {
            if (k <= n)
            {
                own.TryRemove(k, out _);
            }
        }

        last = n;
        return others;
    }

    /// <summary>After a failed look: the next one compares with nothing.</summary>
    public void Reset() => last = null;

    private sealed class Stop(CachedFactsVersion version) : IDisposable
    {
        private int stopped;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref stopped, 1) == 0)
            {
                Interlocked.Decrement(ref version.watchers);
            }
        }
    }
}
