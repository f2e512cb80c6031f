using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using ImidCare.Rules.Rems;
using ImidCare.Store;
using Microsoft.EntityFrameworkCore.Storage;

namespace ImidCare.Server.Rems;

/// <summary>
/// Confirmation numbers in the order they are issued: 'C', nine digits counting up from
/// 000000001, a Luhn check digit (C0000000018, C0000000026, …).
/// <para>
/// Why in order: a random number lands on a random leaf of the confirmations' key index and of
/// the dispenses' confirmation index, so each confirmation wrote two pages of its own to the log
/// and again at the checkpoint, a third of everything a one-step dispense wrote. Numbers in issue
/// order append to the same last leaves, which a batch then writes once (docs/benchmarks.md,
/// "Session 21").
/// </para>
/// <para>
/// A confirmation number is not a secret: it acts only for the pharmacy it was issued to
/// (REMS.CONFIRMATION_OWN_PHARMACY; another pharmacy is refused in the authorization matrix), so
/// knowing the next one gives nothing. Authorization numbers stay random: any certified pharmacy
/// may look one up by its number, and a guessable one would show a patient's name to it.
/// </para>
/// <para>
/// The last number issued is read from the table at the first confirmation of each write
/// transaction (one batch of the write gate), under the lock every writer takes first: SQLite's
/// write lock, and on PostgreSQL the audit chain's advisory lock that every node's batches take.
/// So two processes never draw the same number, and no node keeps the count in its memory alone.
/// Random numbers issued before this were drawn from 100000000 up, which the sequence stays below;
/// after 99,999,999 numbers (about a century at a million fills a year) it draws at random again.
/// </para>
/// </summary>
internal static class ConfirmationNumbers
{
    /// <summary>The first payload the sequence does not use: random draws start here.</summary>
    internal const long SequenceEnd = 100_000_000;

    // Keyed by the transaction, so the count lives only as long as the batch that read it.
    private static readonly ConditionalWeakTable<DbTransaction, StrongBox<long>> Counters = new();

    // Numbers of the sequence start with C0 (its payload is below 100000000) and random ones with C1–C9:
    // with every number eleven characters, the greatest below 'C1' is the last of the sequence.
    private const string LastIssuedSql = """
        SELECT max("Number") FROM confirmations WHERE "Number" < 'C1';
        """;

    /// <summary>
    /// The next number for a confirmation written in the current transaction. With
    /// <paramref name="taken"/> (the number last drawn was found in use, which only a writer
    /// outside the gate could cause) the last number is read again first.
    /// </summary>
    internal static async Task<string> NextAsync(ImidCareDb db, CancellationToken ct, bool taken = false)
    {
        var tx = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Confirmation numbers are drawn inside the write gate's transaction.");
        if (taken || !Counters.TryGetValue(tx, out var next))
        {
            next = new StrongBox<long>(await LastIssuedAsync(db, ct) + 1);
            Counters.AddOrUpdate(tx, next);
        }

        var payload = next.Value++;
        return RemsNumber.Create('C', payload < SequenceEnd ? payload : RandomNumberGenerator.GetInt32((int)SequenceEnd, 1_000_000_000)).Value;
    }

    /// <summary>The payload of the last number of the sequence, or 0 before the first.</summary>
    private static Task<long> LastIssuedAsync(ImidCareDb db, CancellationToken ct) =>
        FactsQuery.WithCommandAsync(db, LastIssuedSql, async cmd => await cmd.ExecuteScalarAsync(ct) switch
        {
            null or DBNull => 0L,
            var last when RemsNumber.TryParse(last as string, 'C', out var number, out _) => number.Value.Payload,
            var last => throw new InvalidOperationException($"The confirmations table holds '{last}', which is not a confirmation number."),
        });
}
