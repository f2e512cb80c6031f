using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace ImidCare.Store;

/// <summary>
/// A database connection kept open, with a context bound to it and the plain-SQL commands it has
/// already run. The counter's hot paths run the same few statements thousands of times a second;
/// on a fresh connection each run paid for opening it (EF's and the provider's per-open work) and
/// for parsing and planning every statement again, and profiles showed SQLite's parser as the
/// largest single cost of a dispense. A statement run here is parsed once: SQLite keeps its
/// prepared statements as long as the command and its connection live, and PostgreSQL's are
/// prepared automatically by Npgsql per connection (<see cref="StorageOptions"/> sets Max Auto
/// Prepare), with a fresh command object per call (see <see cref="Command"/>).
/// One caller at a time: the write gate holds one for its writer, readers rent one from
/// <see cref="SqlSessionPool"/>.
/// </summary>
public sealed class SqlSession : IAsyncDisposable
{
    private readonly Dictionary<string, DbCommand> commands = new(StringComparer.Ordinal);
    private readonly DbConnection connection;

    private SqlSession(DbConnection connection, ImidCareDb db)
    {
        this.connection = connection;
        Db = db;
        db.Session = this;
    }

    /// <summary>The context on this session's connection; its change tracker is cleared between callers.</summary>
    public ImidCareDb Db { get; }

    internal static async Task<SqlSession> OpenAsync(StorageOptions options, CancellationToken ct)
    {
        DbConnection connection = options.Provider == StorageProvider.Postgres
            ? new NpgsqlConnection(options.EffectiveConnectionString)
            : new SqliteConnection(options.ConnectionString);
        var builder = new DbContextOptionsBuilder<ImidCareDb>();
        options.Configure(builder, connection);
        builder.AddInterceptors(PrefixInterceptor.Instance);
        var db = new ImidCareDb(builder.Options);

        // EF opens it, so its own per-connection set-up (and ours, SqlitePragmas) runs once; it then stays open.
        await db.Database.OpenConnectionAsync(ct);
        return new SqlSession(connection, db);
    }

    /// <summary>
    /// The command for this SQL on this connection, parameters cleared, enlisted in the context's
    /// current transaction if any. Valid until the next call with the same SQL.
    /// </summary>
    public DbCommand Command(string sql)
    {
        // The statements waiting to be sent go in front of this one, in the same round trip.
        // Npgsql prepares each statement of a command on its own, so this one stays prepared.
        return CommandFor(TakePrefix() is { } ahead ? ahead + sql : sql);
    }

    private DbCommand CommandFor(string sql)
    {
        if (!commands.TryGetValue(sql, out var cmd) || connection is NpgsqlConnection)
        {
            // PostgreSQL: a fresh command each time. Npgsql binds an auto-prepared command to the
            // parameter objects it was prepared with, and one reused with its parameters cleared
            // and added again sends the old values (seen as a duplicate audit sequence number);
            // auto-preparing is per connection and SQL text, so a fresh command is prepared too.
            cmd?.Dispose();
            cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            commands[sql] = cmd;
        }

        cmd.Parameters.Clear();
        cmd.Transaction = Db.Database.CurrentTransaction?.GetDbTransaction();
        return cmd;
    }

    private string? prefix;

    /// <summary>
    /// Statements that return no rows (the write gate's savepoints), to be sent with the next
    /// command rather than on their own. On PostgreSQL every command is a round trip to the
    /// server, and the writer makes them one after another: a savepoint before each request and
    /// its release after were two of the four or five round trips of a confirmation or a
    /// dispense (docs/benchmarks.md, session 10). They ride with the request's first statement
    /// instead; a command that EF Core makes sends them alone just before it
    /// (<see cref="PrefixInterceptor"/>). SQLite has no round trip to save: they run at once.
    /// <see cref="PrefixSent"/> tells afterwards whether anything carried them.
    /// </summary>
    public async Task SendWithNextAsync(string statements)
    {
        if (connection is NpgsqlConnection)
        {
            prefix = statements;
            PrefixSent = false;
            return;
        }

        prefix = null;
        await CommandFor(statements).ExecuteNonQueryAsync();
        PrefixSent = true;
    }

    /// <summary>
    /// Whether a statement costs a round trip to a server (PostgreSQL), so that rows are better sent
    /// many to a statement; SQLite runs in the process, where one prepared statement run per row is cheaper.
    /// </summary>
    internal bool HasRoundTrips => connection is NpgsqlConnection;

    /// <summary>Whether the statements of the last <see cref="SendWithNextAsync"/> have reached the server.</summary>
    public bool PrefixSent { get; private set; }

    /// <summary>Forgets statements not yet sent (the batch ends without them: its commit releases every savepoint).</summary>
    public void DropPrefix() => prefix = null;

    /// <summary>Sends the waiting statements on their own, before a command that could not carry them.</summary>
    internal async ValueTask SendPrefixAloneAsync(CancellationToken ct)
    {
        if (TakePrefix() is { } ahead)
        {
            await CommandFor(ahead).ExecuteNonQueryAsync(ct);
        }
    }

    internal void SendPrefixAlone()
    {
        if (TakePrefix() is { } ahead)
        {
            CommandFor(ahead).ExecuteNonQuery();
        }
    }

    /// <summary>The waiting statements, now counted as sent by whatever command carries them.</summary>
    private string? TakePrefix()
    {
        var ahead = prefix;
        if (ahead is not null)
        {
            prefix = null;
            PrefixSent = true;
        }

        return ahead;
    }

    /// <summary>Forgets what the last caller tracked.</summary>
    internal void Reset() => Db.ChangeTracker.Clear();

    public async ValueTask DisposeAsync()
    {
        foreach (var cmd in commands.Values)
        {
            await cmd.DisposeAsync();
        }

        commands.Clear();
        await Db.DisposeAsync();
        await connection.DisposeAsync();
    }
}

/// <summary>
/// Idle <see cref="SqlSession"/>s for read paths. A rented session belongs to one request; returned,
/// it keeps its connection and prepared commands for the next. At most <see cref="MaxIdle"/> are kept.
/// </summary>
public sealed class SqlSessionPool(StorageOptions options) : IAsyncDisposable
{
    public const int MaxIdle = 64;

    private readonly ConcurrentQueue<SqlSession> idle = new();
    private int idleCount;
    private bool disposed;

    public async ValueTask<SqlSession> RentAsync(CancellationToken ct)
    {
        if (idle.TryDequeue(out var s))
        {
            Interlocked.Decrement(ref idleCount);
            return s;
        }

        return await SqlSession.OpenAsync(options, ct);
    }

    /// <summary>A session whose last use failed is closed, not kept: its connection may be broken.</summary>
    public async ValueTask ReturnAsync(SqlSession session, bool healthy = true)
    {
        if (healthy && !Volatile.Read(ref disposed) && session.Db.Database.CurrentTransaction is null)
        {
            if (Interlocked.Increment(ref idleCount) <= MaxIdle)
            {
                session.Reset();
                idle.Enqueue(session);
                if (Volatile.Read(ref disposed))
                {
                    // Shut down meanwhile: nothing will rent it again.
                    await DisposeAsync();
                }

                return;
            }

            Interlocked.Decrement(ref idleCount);
        }

        await session.DisposeAsync();
    }

    /// <summary>A session for the caller's own lifetime (the write gate's writer).</summary>
    public Task<SqlSession> OpenDedicatedAsync(CancellationToken ct) => SqlSession.OpenAsync(options, ct);

    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref disposed, true);
        while (idle.TryDequeue(out var s))
        {
            await s.DisposeAsync();
        }
    }
}

/// <summary>
/// Sends a session's waiting statements (<see cref="SqlSession.SendWithNextAsync"/>) on their own
/// just before a command EF Core makes: EF reads its commands' results statement by statement, so
/// nothing is put in front of them.
/// </summary>
internal sealed class PrefixInterceptor : DbCommandInterceptor
{
    public static readonly PrefixInterceptor Instance = new();

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result) =>
        SendThen(eventData, result);

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default) =>
        SendThenAsync(eventData, result, cancellationToken);

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result) =>
        SendThen(eventData, result);

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default) =>
        SendThenAsync(eventData, result, cancellationToken);

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result) =>
        SendThen(eventData, result);

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default) =>
        SendThenAsync(eventData, result, cancellationToken);

    private static SqlSession? SessionOf(CommandEventData e) => (e.Context as ImidCareDb)?.Session;

    private static T SendThen<T>(CommandEventData e, T result)
    {
        SessionOf(e)?.SendPrefixAlone();
        return result;
    }

    private static async ValueTask<T> SendThenAsync<T>(CommandEventData e, T result, CancellationToken ct)
    {
        if (SessionOf(e) is { } s)
        {
            await s.SendPrefixAloneAsync(ct);
        }

        return result;
    }
}
