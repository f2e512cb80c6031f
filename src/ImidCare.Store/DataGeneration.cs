using System.Collections.Frozen;
using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ImidCare.Store;

/// <summary>
/// A process-wide count that moves forward after every committed write this process makes, and
/// whenever <see cref="Advance"/> is told another process or node wrote. A value read from the
/// database is still current while the count is what it was before the read began; a read-side
/// cache (the pharmacy's status check) keeps the count beside what it read and never answers from
/// an entry whose count has moved. The database stays the only copy of every fact.
/// <para>
/// Moving it is always safe (an entry is merely read again); missing a move is not. Hence it moves
/// after every write command and every commit or failed commit seen through EF
/// (<see cref="WriteObserver"/>, on every context of this process: the write gate's batches commit
/// through EF too, before anyone in them is answered; a failed commit may still have reached the
/// disk), and on the change watcher's signal for writes made elsewhere.
/// </para>
/// <para>
/// One exception keeps the cache useful while pharmacies confirm and dispense: a write-gate batch
/// whose every request writes only rows of the patients it names (<see cref="WritingFor"/>: the
/// counter's confirmations and dispenses) moves, instead of the one count, a count per patient
/// (striped: patients that share a stripe only cost each other a re-read). Its protocol, for a
/// reader that learns the patient only from what it reads (an authorization number's patient):
/// <list type="bullet">
/// <item>the writer, before its first write for a patient: that stripe's writers up, its count up;</item>
/// <item>the writer, after the batch's commit (or its failure): the count of finished patient
/// batches up, then the stripe's count up and its writers down;</item>
/// <item>the reader: <see cref="Before"/> (the global count and the finished count) before reading,
/// then <see cref="TryStamp"/> after: the stripe's count, its writers, the finished count again; the
/// read is kept only if no writer was on the stripe and no patient batch finished meanwhile.</item>
/// </list>
/// A patient's commit that fell inside the read either finished before the reader's last look (the
/// finished count moved) or had not (its writers were still counted), so an entry never holds facts
/// older than its stamp says. Any write through EF inside such a batch to one of the
/// <see cref="CachedTables"/> moves the global count after all, so a request that wrote more than
/// it declared costs the cache everything, never a stale answer.
/// </para>
/// <para>
/// A write through EF to any other table (a login's session, a dose in the diary, a reminder
/// read) moves nothing: no cache holds those rows. EF says which tables a SaveChanges writes (its
/// tracked entities), and which one an ExecuteDelete or ExecuteUpdate does (its one statement).
/// So a write-gate batch of such requests, which name no patients, leaves every cached status
/// answering; before, every login and diary entry emptied the cache.
/// </para>
/// </summary>
public static class DataGeneration
{
    /// <summary>
    /// The tables a read-side cache keeps rows of: those the pharmacy status check's facts are
    /// read from (the server's FactsQuery.CounterRowSql and HoldsAndOutagesSql; a test holds the
    /// two together). A write to any of them through EF moves the counts; a write to any other table does not.
    /// </summary>
    public static readonly FrozenSet<string> CachedTables = new[]
    {
        "authorizations", "patients", "enrollments", "holds", "surveys", "dispenses", "pharmacy_certifications", "prescriber_certifications", "outages",
    }.ToFrozenSet(StringComparer.Ordinal);

    private const int Stripes = 1 << 14;

    private static long value;
    private static long patientBatchesFinished;
    private static readonly long[] StripeCounts = new long[Stripes];
    private static readonly int[] StripeWriters = new int[Stripes];
    private static readonly AsyncLocal<PatientBatch?> Batch = new();

    public static long Current => Volatile.Read(ref value);

    public static void Advance() => Interlocked.Increment(ref value);

    /// <summary>Read before the facts: what a stamp is checked against afterwards.</summary>
    public static ReadStart Before() => new(Volatile.Read(ref value), Volatile.Read(ref patientBatchesFinished));

    /// <summary>
    /// After reading facts that belong to <paramref name="patientId"/> (and to nothing any write
    /// outside the gate's patient batches would not move the global count for): the stamp to keep
    /// beside them, or false when a write to that patient may have landed during the read.
    /// </summary>
    public static bool TryStamp(ReadStart before, string patientId, out Stamp stamp)
    {
        var stripe = StripeOf(patientId);
        var count = Volatile.Read(ref StripeCounts[stripe]);
        var writers = Volatile.Read(ref StripeWriters[stripe]);
        var finished = Volatile.Read(ref patientBatchesFinished);
        stamp = new Stamp(before.Global, stripe, count);
        return writers == 0 && finished == before.PatientBatchesFinished;
    }

    /// <summary>Whether nothing has been written, to anyone or to this stamp's patient, since its facts were read.</summary>
    public static bool IsCurrent(in Stamp stamp) =>
        Volatile.Read(ref value) == stamp.Global && Volatile.Read(ref StripeCounts[stamp.Stripe]) == stamp.Count;

    /// <summary>
    /// Called by a request of a patient batch before it writes any row of <paramref name="patientId"/>;
    /// outside such a batch it does nothing (the batch's commit moves the global count).
    /// </summary>
    public static void WritingFor(string patientId)
    {
        if (Batch.Value is { } batch)
        {
            var stripe = StripeOf(patientId);
            Interlocked.Increment(ref StripeWriters[stripe]);
            Interlocked.Increment(ref StripeCounts[stripe]);
            batch.Stripes.Add(stripe);
        }
    }

    /// <summary>
    /// Opens a patient batch on the current asynchronous flow (the write gate's): until it is
    /// disposed, commits seen through EF do not move the global count unless EF itself wrote.
    /// Dispose after the commit or its failure, before anyone in the batch is answered.
    /// </summary>
    public static IDisposable OpenPatientBatch()
    {
        var batch = new PatientBatch();
        Batch.Value = batch;
        return batch;
    }

    /// <summary>A patient batch is open on this flow and nothing in it has written through EF.</summary>
    internal static bool CommitIsPatientScoped => Batch.Value is { WroteThroughEf: false };

    internal static void WroteThroughEf()
    {
        if (Batch.Value is { } batch)
        {
            batch.WroteThroughEf = true;
        }
    }

    private static int StripeOf(string patientId) => (int)((uint)patientId.GetHashCode() % Stripes);

    public readonly record struct ReadStart(long Global, long PatientBatchesFinished);

    public readonly record struct Stamp(long Global, int Stripe, long Count);

    private sealed class PatientBatch : IDisposable
    {
        public List<int> Stripes { get; } = [];

        public bool WroteThroughEf { get; set; }

        private bool closed;

        public void Dispose()
        {
            if (closed)
            {
                return;
            }

            closed = true;
            if (Batch.Value == this)
            {
                Batch.Value = null;
            }

            // A batch that wrote cached rows through EF has moved the global count already: at that
            // write and at its commit (WriteObserver). One that named no patients wrote no cached
            // row of its own, so a read it overlapped may be kept.
            if (Stripes.Count > 0)
            {
                Interlocked.Increment(ref patientBatchesFinished);
            }

            foreach (var stripe in Stripes)
            {
                Interlocked.Increment(ref StripeCounts[stripe]);
                Interlocked.Decrement(ref StripeWriters[stripe]);
            }

            Stripes.Clear();
        }
    }
}

/// <summary>
/// Moves <see cref="DataGeneration"/> after each command that may write a cached row
/// (<see cref="DataGeneration.CachedTables"/>) and each committed transaction, on every context of this process.
/// </summary>
internal sealed partial class WriteObserver : IDbCommandInterceptor, IDbTransactionInterceptor, ISaveChangesInterceptor
{
    public static readonly WriteObserver Instance = new();

    /// <summary>
    /// Reads only: anything else (INSERT, UPDATE, DELETE, DDL, a WITH … that writes) counts as a
    /// write, unless EF says it wrote no cached table. Returns the command's result unchanged.
    /// </summary>
    private static T Seen<T>(DbCommand command, CommandEventData e, T result)
    {
        var sql = command.CommandText.AsSpan().TrimStart();
        if (!sql.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) && !sql.StartsWith("PRAGMA", StringComparison.OrdinalIgnoreCase)
            && MayWriteCachedRows(command.CommandText, e))
        {
            DataGeneration.WroteThroughEf();
            DataGeneration.Advance();
        }

        return result;
    }

    /// <summary>
    /// False only when EF itself says which tables the command writes and none is cached: a
    /// SaveChanges whose changed entities all map elsewhere (<see cref="SavingChanges"/>), or an
    /// ExecuteDelete or ExecuteUpdate, one statement on one table. Anything else (raw SQL,
    /// migrations, a statement this does not recognise) may write anything.
    /// </summary>
    internal static bool MayWriteCachedRows(string sql, CommandEventData e) => e.CommandSource switch
    {
        CommandSource.SaveChanges => e.Context is not ImidCareDb { SavingCachedRows: false },
        CommandSource.ExecuteDelete or CommandSource.ExecuteUpdate => BulkTarget(sql) is not { } table || DataGeneration.CachedTables.Contains(table),
        _ => true,
    };

    /// <summary>The one table an EF bulk statement writes (`DELETE FROM "t" …`, `UPDATE t …`), or null when the text is not exactly one such statement.</summary>
    internal static string? BulkTarget(string sql)
    {
        var m = BulkStatement().Match(sql);
        if (!m.Success)
        {
            return null;
        }

        var semi = sql.IndexOf(';', m.Length);
        return semi < 0 || sql.AsSpan(semi + 1).IsWhiteSpace() ? m.Groups["t"].Value : null;
    }

    // SQLite's provider quotes every identifier; Npgsql's only those that need it.
    [GeneratedRegex("""\A\s*(?:DELETE\s+FROM|UPDATE)\s+(?:"(?<t>[A-Za-z0-9_]+)"|(?<t>[a-z_][a-z0-9_]*))\s""", RegexOptions.CultureInvariant)]
    private static partial Regex BulkStatement();

    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result) => Seen(command, eventData, result);

    public ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Seen(command, eventData, result));

    // SaveChanges runs INSERT … RETURNING as a reader.
    public DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result) => Seen(command, eventData, result);

    public ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Seen(command, eventData, result));

    public object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result) => Seen(command, eventData, result);

    public ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Seen(command, eventData, result));

    // Before the save's commands run: which tables its changed entities map to.
    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Classify(eventData.Context);
        return result;
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Classify(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private static void Classify(DbContext? context)
    {
        if (context is ImidCareDb db)
        {
            db.SavingCachedRows = db.ChangeTracker.Entries().Any(e =>
                e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted
                && (e.Metadata.GetTableName() is not { } table || DataGeneration.CachedTables.Contains(table)));
        }
    }

    // A write inside a transaction becomes visible at the commit: the count moves again then, so a
    // read that began between the write and the commit is not kept.
    // A patient batch that wrote only through its own statements moves its patients' counts instead.
    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed();

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed();
        return Task.CompletedTask;
    }

    private static void Committed()
    {
        if (!DataGeneration.CommitIsPatientScoped)
        {
            DataGeneration.Advance();
        }
    }

    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => DataGeneration.Advance();

    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        DataGeneration.Advance();
        return Task.CompletedTask;
    }
}
