using ImidCare.Store.Audit;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using NodaTime;

namespace ImidCare.Store;

public enum StorageProvider
{
    Sqlite,
    Postgres,
}

public sealed record StorageOptions(StorageProvider Provider, string ConnectionString)
{
    // Every SQLite connection of the process is made from options, so this runs before the first opens.
    static StorageOptions() => SqliteProcess.Configure();

    public static StorageOptions DefaultSqlite(string path) =>
        new(StorageProvider.Sqlite, new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30, ForeignKeys = true }.ToString());

    /// <summary>
    /// PostgreSQL statements are prepared by Npgsql once they repeat, per physical connection (the
    /// hot paths run the same few thousands of times a second), unless the connection string says otherwise.
    /// </summary>
    public string EffectiveConnectionString
    {
        get
        {
            if (Provider != StorageProvider.Postgres)
            {
                return ConnectionString;
            }

            // Npgsql's own builder answers ContainsKey for every keyword it knows, set or not (until
            // session 7 nothing was ever prepared); a plain builder holds only the keys written.
            var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = ConnectionString };
            if (given.ContainsKey("Max Auto Prepare") || given.ContainsKey("MaxAutoPrepare"))
            {
                return ConnectionString;
            }

            var b = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString) { MaxAutoPrepare = 64, AutoPrepareMinUsages = 2 };
            return b.ConnectionString;
        }
    }

    public void Configure(DbContextOptionsBuilder b)
    {
        _ = Provider == StorageProvider.Postgres
            ? b.UseNpgsql(EffectiveConnectionString)
            : b.UseSqlite(ConnectionString);
        ConfigureCommon(b);
    }

    /// <summary>A context on a connection its caller owns (a <see cref="SqlSession"/>).</summary>
    public void Configure(DbContextOptionsBuilder b, System.Data.Common.DbConnection connection)
    {
        _ = Provider == StorageProvider.Postgres
            ? b.UseNpgsql(connection)
            : b.UseSqlite(connection);
        ConfigureCommon(b);
    }

    private void ConfigureCommon(DbContextOptionsBuilder b)
    {
        // Hand-written migrations have no model snapshot, so EF would always report pending changes.
        b.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
        b.AddInterceptors(WriteObserver.Instance);
        if (Provider == StorageProvider.Sqlite)
        {
            b.AddInterceptors(SqlitePragmas.Instance);
        }
    }
}

/// <summary>
/// SQLite's process-wide settings, which it takes only before its first connection opens.
/// <para>
/// Multi-thread mode instead of the bundled library's serialized default: serialized wraps every
/// call on a connection in that connection's mutex, in case two threads use it at once, and a
/// write-load profile of the writer thread had `pthread_mutex_lock`/`unlock` at 5 % of its time.
/// Nothing here shares a connection between threads at once (ADO.NET connections are not
/// thread-safe in any provider: the pool hands each to one caller, the writer keeps its own), and
/// <c>sqlite3_interrupt</c>, the one call made from another thread, is safe in every mode.
/// Memory statistics off: with them on, every allocation SQLite makes takes a process-wide mutex
/// to count it, and nothing here reads the counts.
/// </para>
/// </summary>
public static class SqliteProcess
{
    /// <summary>The threading mode SQLite runs in in this process ("multi-thread", or "serialized" when a connection opened first).</summary>
    public static string ThreadingMode { get; } = Apply();

    /// <summary>Makes the settings, once per process (the type's initializer), if they are not made yet.</summary>
    public static void Configure() => _ = ThreadingMode;

    private static string Apply()
    {
        // Microsoft.Data.Sqlite's static constructor loads the native library (SQLitePCLRaw's bundle); it opens nothing.
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(SqliteConnection).TypeHandle);
        var mode = SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MULTITHREAD) == SQLitePCL.raw.SQLITE_OK ? "multi-thread" : "serialized";
        SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MEMSTATUS, 0);
        return mode;
    }
}

/// <summary>
/// SQLite runs in WAL mode (a property of the file, set once when the database is prepared) with
/// full sync on every connection: a dispense is acknowledged only after its commit is on disk.
/// The pragma is a property of the native connection, which the pool keeps across EF's opens; it is
/// set once per native connection, not on every open (a statement prepared and run per query was
/// a visible share of the read path's time).
/// <para>
/// Pages of the database file are read through a memory map (<see cref="MapBytes"/>) instead of a
/// read() call each. A dispense at a real counter touches rows of a patient no recent request
/// touched, so most of its index and table pages are not in the connection's own small cache;
/// each was a system call and a 4 KiB copy out of the kernel's page cache, about an eighth of the
/// writer's time (docs/benchmarks.md, session 22). Writes still go to the log by write() and
/// fsync, so durability is unchanged; the map is read-only.
/// </para>
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();

    /// <summary>
    /// The most of the file mapped per connection: SQLite's own build limit on Linux (about 2 GiB);
    /// a larger file is read by read() past it. Address space, not memory: the pages are the
    /// kernel's page cache, shared by every connection, and count in RSS only as RssFile.
    /// </summary>
    public const long MapBytes = 0x7fff0000;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> Configured = [];

    public override void ConnectionOpened(System.Data.Common.DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(System.Data.Common.DbConnection connection)
    {
        if (connection is SqliteConnection { Handle: { } handle } && !Configured.TryAdd(handle, handle))
        {
            return;
        }

        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"PRAGMA synchronous=FULL; PRAGMA mmap_size={MapBytes};";
        cmd.ExecuteNonQuery();
    }
}

/// <summary>
/// The single door for state changes: the audit chain appended in the same transaction, and
/// writes serialised so the chain stays linear. On SQLite one process owns the file; on
/// PostgreSQL several nodes may share the database, so each transaction takes a
/// transaction-scoped advisory lock held by the database, not by any node's memory.
/// <para>
/// Group commit: one writer loop takes every request waiting at that moment (up to
/// <see cref="MaxBatch"/>), runs them one after another in one transaction, each inside its own
/// savepoint, and commits once. The cost of a durable commit (an fsync) is shared by the batch
/// instead of paid per request, and no caller is answered before the commit that holds its
/// change has returned. A request that throws is rolled back to its savepoint alone; its
/// neighbours in the batch are unaffected. When nothing else waits, a batch is one request and
/// nothing is delayed to form a batch.
/// </para>
/// </summary>
public sealed class WriteGate : IAsyncDisposable
{
    public const int MaxBatch = 128;
    private const long AuditChainLockKey = 0x1D1CA4E;
    private static readonly string LockSql = $"SELECT pg_advisory_xact_lock({AuditChainLockKey})";

    private readonly SqlSessionPool sessions;
    private readonly StorageOptions options;
    private readonly IClock clock;
    private readonly System.Threading.Channels.Channel<Pending> queue =
        System.Threading.Channels.Channel.CreateUnbounded<Pending>(new() { SingleReader = true });
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // The writer's own connection, kept open with its prepared statements; replaced after a failed batch.
    private SqlSession? writer;

    // The texts this database's trail already holds for its records to refer to (AuditWriter.Reference).
    private readonly AuditReferences references = new();

    public WriteGate(SqlSessionPool sessions, StorageOptions options, IClock clock)
    {
        this.sessions = sessions;
        this.options = options;
        this.clock = clock;
        var thread = new Thread(WriterLoop) { IsBackground = true, Name = "ImidCare writer" };
        thread.Start();
    }

    /// <summary>Batches committed and requests carried, for the benchmarks' report.</summary>
    public long Batches => Interlocked.Read(ref batches);

    public long Requests => Interlocked.Read(ref requests);

    /// <summary>PostgreSQL: the values of the cached tables' write count this gate's commits took, for the change watcher.</summary>
    public CachedFactsVersion CachedFacts { get; } = new();

    /// <summary>Requests queued and not yet taken by the writer: lets a test know a batch has formed instead of guessing with a delay.</summary>
    public int Waiting => Volatile.Read(ref waiting);

    // The single-reader channel cannot count its items; this does, on the way in and out.
    private int waiting;

    private long batches;
    private long requests;

    /// <param name="scoped">
    /// True when the work writes no row a read-side cache keeps (<see cref="DataGeneration.CachedTables"/>)
    /// except rows of patients it names to <see cref="DataGeneration.WritingFor"/> before writing
    /// them (the counter's confirmations and dispenses, in plain SQL), and rows it writes through
    /// EF, which are seen and move every count. Its commit then moves only the named patients'
    /// counts, or none (a login, a diary entry). Plain SQL to a cached row of a patient it did not
    /// name would break that promise; rows no cache reads (the audit trail's, stored idempotent
    /// replies) do not count. False, the default, for anything else: the commit moves every count.
    /// </param>
    public async Task<T> RunAsync<T>(Func<ImidCareDb, AuditWriter, Instant, Task<T>> work, CancellationToken ct = default, bool scoped = false)
    {
        ct.ThrowIfCancellationRequested();
        var pending = new Pending(async (db, audit, now) => await work(db, audit, now), ct, scoped);
        Interlocked.Increment(ref waiting);
        if (!queue.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref waiting);
            throw new ObjectDisposedException(nameof(WriteGate));
        }

        // The caller's own cancellation does not abandon the write: once queued it either commits or
        // not, and the caller must not be told "cancelled" about a change that was in fact committed.
        return (T)(await pending.Done.Task)!;
    }

    /// <summary>
    /// The writer is the one serial part of every state change, so it runs on a thread of its own
    /// and blocks there instead of awaiting on the thread pool: on the pool, each wake-up for new work
    /// was a work item queued behind the HTTP work of the very requests it was to carry. A thread of
    /// its own also has its own CPU and run-queue counters (/proc/…/task/…/schedstat), which is how
    /// docs/benchmarks.md measures the writer. SQLite's driver does its I/O synchronously anyway;
    /// PostgreSQL's awaits complete on the pool while this thread waits for them.
    /// </summary>
    private void WriterLoop()
    {
        try
        {
            var batch = new List<Pending>(MaxBatch);
            while (true)
            {
                var ready = queue.Reader.WaitToReadAsync().AsTask();
                do
                {
                    LookForOtherWriters();
                }
                while (!ready.Wait(OtherWritersEvery));

                if (!ready.Result)
                {
                    break;
                }

                batch.Clear();
                while (batch.Count < MaxBatch && queue.Reader.TryRead(out var p))
                {
                    batch.Add(p);
                    Interlocked.Decrement(ref waiting);
                }

                RunBatchAsync(batch).GetAwaiter().GetResult();
            }

            stopped.TrySetResult();
        }
        catch (Exception e)
        {
            stopped.TrySetException(e);
        }
    }

    /// <summary>How often the writer looks for commits made by other connections (SQLite).</summary>
    public static readonly TimeSpan OtherWritersEvery = TimeSpan.FromMilliseconds(100);

    private long otherWritersSeenAt;
    private long? dataVersion;

    /// <summary>
    /// When the writer last looked for other writers (<see cref="Environment.TickCount64"/>), or 0:
    /// a cache that relies on <see cref="DataGeneration"/> answers only while this is recent.
    /// </summary>
    public long OtherWritersSeenAt => Interlocked.Read(ref otherWritersSeenAt);

    /// <summary>
    /// SQLite: moves <see cref="DataGeneration"/> when a connection other than the writer's has
    /// committed since the last look (`PRAGMA data_version` on the writer's own connection ignores
    /// the writer's own commits, which move the counts themselves). Another process's write (an
    /// `imidcare` command on the same file) is seen within <see cref="OtherWritersEvery"/>. Asked
    /// on any other connection, as before, every batch this writer commits looked like someone
    /// else's, and under a write load the status cache was emptied ten times a second.
    /// PostgreSQL has its own watcher (the transaction snapshot, ExternalChanges).
    /// </summary>
    private void LookForOtherWriters()
    {
        if (options.Provider != StorageProvider.Sqlite || Environment.TickCount64 - Interlocked.Read(ref otherWritersSeenAt) < OtherWritersEvery.TotalMilliseconds)
        {
            return;
        }

        try
        {
            writer ??= OpenWriterAsync().GetAwaiter().GetResult();
            var version = Convert.ToInt64(writer.Command("PRAGMA data_version").ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            if (version != dataVersion)
            {
                DataGeneration.Advance();
                dataVersion = version;
            }

            Interlocked.Exchange(ref otherWritersSeenAt, Environment.TickCount64);
        }
        catch (Exception)
        {
            // Not seeing the database: the count moves, and stays unwatched until a look succeeds.
            DataGeneration.Advance();
            dataVersion = null;
            Interlocked.Exchange(ref otherWritersSeenAt, 0);
            DiscardWriterAsync().GetAwaiter().GetResult();
        }
    }

    private async Task<SqlSession> OpenWriterAsync()
    {
        var session = await sessions.OpenDedicatedAsync(CancellationToken.None);

        // Each request has its own savepoint below; EF's automatic one per SaveChanges would be a second.
        session.Db.Database.AutoSavepointsEnabled = false;

        // A new connection's data_version starts afresh: what it would compare against is unknown.
        dataVersion = null;
        DataGeneration.Advance();
        return session;
    }

    private async Task RunBatchAsync(List<Pending> batch)
    {
        var outcomes = new (object? Result, Exception? Error)[batch.Count];

        // A batch of scoped requests (cached rows only of the patients they name) moves those
        // patients' counts instead of everyone's, or none; one that is not, everyone's (DataGeneration).
        // Closed after the commit or its failure, before anyone is answered.
        var patientBatch = batch.TrueForAll(p => p.Scoped) ? DataGeneration.OpenPatientBatch() : null;
        try
        {
            writer ??= await OpenWriterAsync();

            var session = writer;
            var db = session.Db;
            await using var tx = await db.Database.BeginTransactionAsync();
            // PostgreSQL: the lock is taken first, then the chain's head read, in one round trip.
            var audit = await AuditWriter.OpenAsync(session, references, options.Provider == StorageProvider.Postgres ? LockSql : null, CancellationToken.None);

            // The clock is read after the lock, per request, never going back: records are appended in time order.
            var now = clock.GetCurrentInstant();
            var single = batch.Count == 1;

            // Each request of a batch runs in a savepoint named w. The one before it is released as
            // the next is set, not on its own after its request: the commit releases the last.
            // Both travel with the request's first statement (SqlSession.SendWithNextAsync).
            var savepointSet = false;
            for (var i = 0; i < batch.Count; i++)
            {
                var p = batch[i];
                if (p.Ct.IsCancellationRequested)
                {
                    outcomes[i] = (null, new OperationCanceledException(p.Ct));
                    continue;
                }

                var t = clock.GetCurrentInstant();
                now = t > now ? t : now;
                audit.At(now);
                var mark = audit.Mark();
                if (!single)
                {
                    await session.SendWithNextAsync(savepointSet ? "RELEASE SAVEPOINT w; SAVEPOINT w; " : "SAVEPOINT w; ");
                }

                try
                {
                    var result = await p.Work(db, audit, now);
                    await db.SaveChangesAsync();
                    outcomes[i] = (result, null);
                }
                catch (Exception e) when (!single)
                {
                    // A request that sent nothing to the database has nothing there to undo (and no savepoint of its own).
                    if (session.PrefixSent)
                    {
                        await session.Command("ROLLBACK TO SAVEPOINT w").ExecuteNonQueryAsync();
                    }

                    audit.Reset(mark);
                    outcomes[i] = (null, e);
                }
                finally
                {
                    // Entities of one request are never seen as tracked by the next; each re-reads what it needs.
                    db.ChangeTracker.Clear();
                    savepointSet |= !single && session.PrefixSent;
                }
            }

            session.DropPrefix();

            // The batch's audit records in one statement, after its last request and before its commit:
            // a request rolled back to its savepoint has had its records taken out of the chain already.
            // On PostgreSQL, with a change watcher running, the value of the cached tables' write
            // count this transaction took (if it wrote one) comes back from the same round trip.
            var recording = options.Provider == StorageProvider.Postgres && CachedFacts.Recording;
            var taken = await audit.FlushAsync(recording ? CachedFactsVersion.TakenSql : null, CancellationToken.None);
            long? ownVersion = recording && taken?[0] is string value && value.Length > 0
                ? long.Parse(value, System.Globalization.CultureInfo.InvariantCulture)
                : null;

            await tx.CommitAsync();
            audit.Committed();

            // Only once committed is it the gate's own: a value rolled back is taken again by the next writer, whoever it is.
            if (ownVersion is { } v)
            {
                CachedFacts.Committed(v);
            }
        }
        catch (Exception e)
        {
            // The connection may be what failed: the next batch opens a fresh one.
            await DiscardWriterAsync();

            patientBatch?.Dispose();

            // Nothing of this batch is known to be committed: no one is told it was.
            foreach (var p in batch)
            {
                p.Done.TrySetException(e);
            }

            return;
        }

        patientBatch?.Dispose();
        Interlocked.Increment(ref batches);
        Interlocked.Add(ref requests, batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i].Error is { } error)
            {
                batch[i].Done.TrySetException(error);
            }
            else
            {
                batch[i].Done.TrySetResult(outcomes[i].Result);
            }
        }
    }

    private async Task DiscardWriterAsync()
    {
        if (writer is { } w)
        {
            writer = null;
            try
            {
                await w.DisposeAsync();
            }
            catch (Exception)
            {
                // Closing a broken connection may fail too; it is dropped either way.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await stopped.Task;
        await DiscardWriterAsync();
    }

    private sealed record Pending(Func<ImidCareDb, AuditWriter, Instant, Task<object?>> Work, CancellationToken Ct, bool Scoped)
    {
        public TaskCompletionSource<object?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

public static class DatabaseSetup
{
    public static async Task MigrateAsync(IDbContextFactory<ImidCareDb> factory, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        if (db.Database.IsSqlite())
        {
            // WAL is persistent in the file: readers never wait for the writer.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }

        await db.Database.MigrateAsync(ct);
    }
}
