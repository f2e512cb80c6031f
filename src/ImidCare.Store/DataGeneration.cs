using System.Data.Common;
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
/// </summary>
public static class DataGeneration
{
    private static long value;

    public static long Current => Volatile.Read(ref value);

    public static void Advance() => Interlocked.Increment(ref value);
}

/// <summary>Moves <see cref="DataGeneration"/> after each command that may write and each committed transaction, on every context of this process.</summary>
internal sealed class WriteObserver : IDbCommandInterceptor, IDbTransactionInterceptor
{
    public static readonly WriteObserver Instance = new();

    /// <summary>Reads only: anything else (INSERT, UPDATE, DELETE, DDL, a WITH … that writes) counts as a write. Returns the command's result unchanged.</summary>
    private static T Seen<T>(DbCommand command, T result)
    {
        var sql = command.CommandText.AsSpan().TrimStart();
        if (!sql.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) && !sql.StartsWith("PRAGMA", StringComparison.OrdinalIgnoreCase))
        {
            DataGeneration.Advance();
        }

        return result;
    }

    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result) => Seen(command, result);

    public ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Seen(command, result));

    // SaveChanges runs INSERT … RETURNING as a reader.
    public DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result) => Seen(command, result);

    public ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Seen(command, result));

    public object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result) => Seen(command, result);

    public ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Seen(command, result));

    // A write inside a transaction becomes visible at the commit: the count moves again then, so a
    // read that began between the write and the commit is not kept.
    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => DataGeneration.Advance();

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        DataGeneration.Advance();
        return Task.CompletedTask;
    }

    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => DataGeneration.Advance();

    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        DataGeneration.Advance();
        return Task.CompletedTask;
    }
}
