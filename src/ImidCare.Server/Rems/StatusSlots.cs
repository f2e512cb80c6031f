using System.Diagnostics;
using ImidCare.Rules.Rems;
using ImidCare.Store;
using ImidCare.Store.Entities;
using NodaTime;

namespace ImidCare.Server.Rems;

/// <summary>
/// The status cache's store: fixed-size slots in arrays that hold no references, grouped in sets
/// of up to <see cref="MaxWays"/> (a key lives in one of its two sets; the least recently read
/// entry of those two makes room). Each entry is kept as bytes (<see cref="StatusEntryCodec"/>)
/// and decoded on every hit.
/// <para>
/// Why not objects in an LRU library (until session 13, BitFaster's ConcurrentLru): every entry
/// was a dozen objects that outlived the collector's youngest generation, and filling the cache
/// made the server's collections promote them. Measured on first lookups of 95,000 numbers
/// (docs/benchmarks.md, "Session 13"): 82–137 µs of server CPU per lookup with the cache against
/// 66–86 µs with it off, and a p99 of 17–35 ms against 4–8 ms, the collector's pauses. Slots cost
/// the collector nothing: the arrays are allocated once and never scanned.
/// </para>
/// <para>
/// One lock per set stripe guards the slots of its sets, for reads as for writes: a reader never
/// sees a slot half written, and what it decodes is what was encoded with the stamp it checks.
/// </para>
/// </summary>
internal sealed class StatusSlots
{
    public const int MaxWays = 8;

    /// <summary>Bytes per entry: an authorization, its patient and the facts take about 240 with a 20-character name and id; names of up to about 80 characters fit.</summary>
    public const int SlotBytes = 384;

    private const int Empty = -1;
    private readonly int ways;
    private readonly int sets;
    private readonly byte[] bytes;
    private readonly long[] numbers;
    private readonly int[] pharmacies;
    private readonly int[] lengths;
    private readonly long[] used; // when each slot was last read or written: a timestamp, so no count is shared between cores
    private readonly DataGeneration.Stamp[] stamps;
    private readonly Lock[] locks;
    private readonly PharmacyIndexes pharmacyIndexes = new();
    private readonly Func<DataGeneration.Stamp, bool> isCurrent;
    private int count;

    /// <param name="bound">At most this many entries (at least one).</param>
    /// <param name="isCurrent">Whether nothing was written since a stamp was taken (tests give their own; the server, <see cref="DataGeneration.IsCurrent"/>).</param>
    public StatusSlots(int bound, Func<DataGeneration.Stamp, bool>? isCurrent = null)
    {
        this.isCurrent = isCurrent ?? (stamp => DataGeneration.IsCurrent(stamp));
        ways = Math.Clamp(bound, 1, MaxWays);
        sets = Math.Max(1, bound / ways);
        var slots = ways * sets;
        // Only the pharmacy column says whether a slot is empty; the rest of a slot is read only
        // after it was written, so those arrays are not cleared, and their pages are taken from
        // the system only as slots fill.
        bytes = GC.AllocateUninitializedArray<byte>(checked(slots * SlotBytes));
        numbers = GC.AllocateUninitializedArray<long>(slots);
        pharmacies = new int[slots];
        Array.Fill(pharmacies, Empty);
        lengths = GC.AllocateUninitializedArray<int>(slots);
        used = GC.AllocateUninitializedArray<long>(slots);
        stamps = GC.AllocateUninitializedArray<DataGeneration.Stamp>(slots);
        locks = new Lock[Math.Min(sets, 1024)];
        for (var i = 0; i < locks.Length; i++)
        {
            locks[i] = new Lock();
        }
    }

    public int Capacity => ways * sets;

    public int Count => Volatile.Read(ref count);

    /// <summary>The entry for this number and pharmacy when it is held and still current, its facts decided at <paramref name="now"/>.</summary>
    public bool TryGet(string number, string pharmacyId, Instant now, out (AuthorizationRecord Authorization, Patient Patient, ConfirmationFacts Facts) entry)
    {
        entry = default;
        if (!Key(number, pharmacyId, add: false, out var n, out var pharmacy))
        {
            return false;
        }

        var (one, other) = SetsOf(n, pharmacy);
        return TryGetIn(one, n, pharmacy, number, now, out entry) || (other != one && TryGetIn(other, n, pharmacy, number, now, out entry));
    }

    private bool TryGetIn(int set, long n, int pharmacy, string number, Instant now, out (AuthorizationRecord Authorization, Patient Patient, ConfirmationFacts Facts) entry)
    {
        entry = default;
        lock (locks[set % locks.Length])
        {
            var i = Find(set, n, pharmacy);
            if (i < 0 || !isCurrent(stamps[i]))
            {
                return false;
            }

            used[i] = Stopwatch.GetTimestamp();
            entry = StatusEntryCodec.Decode(bytes.AsSpan(i * SlotBytes, lengths[i]), number, now);
            return true;
        }
    }

    /// <summary>
    /// Keeps the entry in one of its two sets: in place of the same key's, else in an empty slot,
    /// else in place of the least recently used of both sets' entries. False when it cannot be kept as bytes.
    /// </summary>
    public bool Put(DataGeneration.Stamp stamp, string pharmacyId, AuthorizationRecord a, Patient patient, ConfirmationFacts facts)
    {
        Span<byte> encoded = stackalloc byte[SlotBytes];
        if (!StatusEntryCodec.TryEncode(a, patient, facts, encoded, out var length) || !Key(a.Number, pharmacyId, add: true, out var n, out var pharmacy))
        {
            return false;
        }

        var (one, other) = SetsOf(n, pharmacy);

        // Both sets' locks, always the lower stripe first: a key is in at most one of its sets, and two writers never wait on each other in a circle.
        var (first, second) = (Math.Min(one % locks.Length, other % locks.Length), Math.Max(one % locks.Length, other % locks.Length));
        locks[first].Enter();
        if (second != first)
        {
            locks[second].Enter();
        }

        try
        {
            var slot = Find(one, n, pharmacy);
            slot = slot >= 0 ? slot : Find(other, n, pharmacy);
            slot = slot >= 0 ? slot : Find(one, 0, Empty);
            slot = slot >= 0 ? slot : Find(other, 0, Empty);
            if (slot < 0)
            {
                slot = one * ways;
                foreach (var set in (ReadOnlySpan<int>)[one, other])
                {
                    for (int i = set * ways, end = i + ways; i < end; i++)
                    {
                        slot = used[i] < used[slot] ? i : slot;
                    }
                }
            }

            if (pharmacies[slot] == Empty)
            {
                Interlocked.Increment(ref count);
            }

            encoded[..length].CopyTo(bytes.AsSpan(slot * SlotBytes));
            numbers[slot] = n;
            pharmacies[slot] = pharmacy;
            lengths[slot] = length;
            stamps[slot] = stamp;
            used[slot] = Stopwatch.GetTimestamp();
        }
        finally
        {
            if (second != first)
            {
                locks[second].Exit();
            }

            locks[first].Exit();
        }

        return true;
    }

    /// <summary>The slot of the set holding this key (an empty slot: number 0, pharmacy <see cref="Empty"/>), or -1.</summary>
    private int Find(int set, long n, int pharmacy)
    {
        for (int i = set * ways, end = i + ways; i < end; i++)
        {
            if (pharmacies[i] == pharmacy && (pharmacy == Empty || numbers[i] == n))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>An authorization number ('A' and ten digits) as a number, and the pharmacy as a small index.</summary>
    private bool Key(string number, string pharmacyId, bool add, out long n, out int pharmacy)
    {
        n = 0;
        pharmacy = Empty;
        if (number.Length != 11 || number[0] != 'A')
        {
            return false;
        }

        for (var i = 1; i < number.Length; i++)
        {
            if (!char.IsAsciiDigit(number[i]))
            {
                return false;
            }

            n = (n * 10) + (number[i] - '0');
        }

        pharmacy = pharmacyIndexes.IndexOf(pharmacyId, add);
        return pharmacy >= 0;
    }

    /// <summary>
    /// The key's two candidate sets. With one set per key, sets that drew more keys than they have
    /// slots dropped entries while others stood empty: 100,000 numbers in 100,000 slots missed a
    /// quarter of the time. A key goes where either of two has room, which spreads them evenly.
    /// </summary>
    private (int One, int Other) SetsOf(long n, int pharmacy)
    {
        var h = HashCode.Combine(n, pharmacy);
        return ((int)((uint)h % (uint)sets), (int)((uint)HashCode.Combine(h, n) % (uint)sets));
    }

    /// <summary>Pharmacies by a small number; at most <see cref="Max"/> (past that, a new pharmacy's checks are not cached).</summary>
    private sealed class PharmacyIndexes
    {
        private const int Max = 1 << 20;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> indexes = new(StringComparer.Ordinal);
        private readonly Lock adding = new();
        private int next;

        public int IndexOf(string pharmacyId, bool add)
        {
            if (indexes.TryGetValue(pharmacyId, out var i))
            {
                return i;
            }

            if (!add || Volatile.Read(ref next) >= Max)
            {
                return Empty;
            }

            lock (adding)
            {
                return indexes.TryGetValue(pharmacyId, out i) ? i : indexes[pharmacyId] = next++;
            }
        }
    }
}
