using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Store.Audit;

/// <summary>Who did something, and for whom.</summary>
public sealed record Actor(string Id, string Role, string? OnBehalfOf = null)
{
    public static readonly Actor System = new("system", "system");
}

/// <summary>
/// The append-only audit trail. Each record carries the hash of the one before it, so altering,
/// deleting or reordering any record breaks every hash after it. Records are appended inside the
/// same transaction as the change they describe, under the write gate, so the chain stays linear.
/// </summary>
public static class AuditChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string ComputeHash(AuditRecord r)
    {
        var canonical = string.Join(
            '\u001f',
            r.Seq.ToString(CultureInfo.InvariantCulture),
            r.At.ToUnixTimeTicks().ToString(CultureInfo.InvariantCulture),
            r.Actor,
            r.ActorRole,
            r.OnBehalfOf ?? string.Empty,
            r.Action,
            r.Subject,
            r.DataJson,
            r.PrevHash);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>
    /// The action of a record that holds a text other records refer to by its id (<see cref="AuditWriter.Reference"/>).
    /// </summary>
    public const string ReferenceAction = "audit.reference";

    private const string ReferencePrefix = "reference/";

    /// <summary>The subject of the record holding the text with id <paramref name="id"/>.</summary>
    public static string ReferenceSubject(string id) => ReferencePrefix + id;

    /// <summary>
    /// The id of a referenced text: its kind, '_', and the first 128 bits of the SHA-256 of the
    /// text, so the text cannot be changed without its id (and every record naming it) changing.
    /// </summary>
    public static string ReferenceId(string kind, string dataJson) =>
        kind + "_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(dataJson)))[..32];

    /// <summary>Recomputes the chain in order and names the first record that does not fit.</summary>
    public static async Task<AuditVerification> VerifyAsync(ImidCareDb db, CancellationToken ct = default)
    {
        long expectedSeq = 1;
        var prev = Genesis;
        long count = 0;
        await foreach (var r in db.Audit.AsNoTracking().OrderBy(a => a.Seq).AsAsyncEnumerable().WithCancellation(ct))
        {
            string? problem = null;
            if (r.Seq != expectedSeq)
            {
                problem = r.Seq > expectedSeq
                    ? $"records {expectedSeq}–{r.Seq - 1} are missing"
                    : $"sequence number {r.Seq} repeats";
            }
            else if (r.PrevHash != prev)
            {
                problem = "its previous-hash does not match the record before it (a record was altered, removed or reordered)";
            }
            else if (ComputeHash(r) != r.Hash)
            {
                problem = "its content does not match its hash (the record was altered)";
            }
            else if (r.Action == ReferenceAction && !HoldsItsOwnText(r))
            {
                problem = "it holds a referenced text whose id is not the text's hash";
            }

            if (problem is not null)
            {
                return new AuditVerification(false, count, r.Seq, problem);
            }

            prev = r.Hash;
            expectedSeq++;
            count++;
        }

        return new AuditVerification(true, count, null, null);
    }

    // The chain proves the record unaltered since it was written; this proves it was written right.
    private static bool HoldsItsOwnText(AuditRecord r)
    {
        var id = r.Subject.StartsWith(ReferencePrefix, StringComparison.Ordinal) ? r.Subject[ReferencePrefix.Length..] : string.Empty;
        var kind = id.IndexOf('_', StringComparison.Ordinal);
        return kind > 0 && ReferenceId(id[..kind], r.DataJson) == id;
    }

    /// <summary>The ids of the referenced texts in one database's trail.</summary>
    internal static async Task<HashSet<string>> ReferencesAsync(SqlSession session, CancellationToken ct)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var r = await session.Command(ReferencesSql).ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            ids.Add(r.GetString(0)[ReferencePrefix.Length..]);
        }

        return ids;
    }

    // A range on the subject index: every subject of a reference starts with "reference/", and '0' follows '/'.
    private const string ReferencesSql = """
        SELECT "Subject" FROM audit WHERE "Subject" >= 'reference/' AND "Subject" < 'reference0';
        """;
}

/// <summary>
/// The ids of referenced texts (<see cref="AuditWriter.Reference"/>) committed to one database's
/// trail: one set per write gate, read from the trail by its first batch and added to after each
/// commit, so a text is recorded the first time it is referred to and not again.
/// </summary>
public sealed class AuditReferences
{
    private HashSet<string>? known;

    internal bool Contains(string id) => known!.Contains(id);

    internal async Task LoadAsync(SqlSession session, CancellationToken ct) => known ??= await AuditChain.ReferencesAsync(session, ct);

    internal void Committed(List<string> ids) => known!.UnionWith(ids);
}

public sealed record AuditVerification(bool Intact, long RecordsVerified, long? FirstBrokenSeq, string? Problem);

/// <summary>
/// Appends audit records within one write transaction. Records are written in plain SQL when the
/// batch's work is done (<see cref="FlushAsync"/>), not through EF's change tracker: every write
/// request appends at least one, under the single writer, and through SaveChanges that record
/// alone cost more than the counter's own plain-SQL writes. One multi-row insert per batch, not one
/// per request, saves the writer a statement per request.
/// </summary>
public sealed class AuditWriter
{
    private const string Columns = "\"Seq\", \"At\", \"Actor\", \"ActorRole\", \"OnBehalfOf\", \"Action\", \"Subject\", \"DataJson\", \"PrevHash\", \"Hash\"";
    private const int ColumnCount = 10;

    private readonly ImidCareDb db;
    private readonly List<AuditRecord> pending = [];
    private readonly AuditReferences references;

    // Texts first referred to in this transaction: known to its later requests, to everyone once committed.
    private readonly List<string> newReferences = [];
    private Instant now;
    private long lastSeq;
    private string lastHash;

    // The time is set per request (At) before anything is appended.
    private AuditWriter(ImidCareDb db, AuditReferences references, long lastSeq, string lastHash)
    {
        this.db = db;
        this.references = references;
        this.lastSeq = lastSeq;
        this.lastHash = lastHash;
    }

    private const string HeadSql = """SELECT "Seq", "Hash" FROM audit ORDER BY "Seq" DESC LIMIT 1""";

    /// <param name="lockFirst">
    /// A statement returning one row that must run before the chain's head is read (the write
    /// gate's lock on PostgreSQL): sent in the same round trip, as a statement of its own so that
    /// the read that follows it sees what was committed before the lock was granted.
    /// </param>
    internal static async Task<AuditWriter> OpenAsync(SqlSession session, AuditReferences references, string? lockFirst, CancellationToken ct)
    {
        var writer = await OpenChainAsync(session, references, lockFirst, ct);
        await references.LoadAsync(session, ct);
        return writer;
    }

    private static async Task<AuditWriter> OpenChainAsync(SqlSession session, AuditReferences references, string? lockFirst, CancellationToken ct)
    {
        var cmd = session.Command(lockFirst is null ? HeadSql : lockFirst + "; " + HeadSql);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (lockFirst is not null)
        {
            await r.NextResultAsync(ct);
        }

        return await r.ReadAsync(ct)
            ? new AuditWriter(session.Db, references, r.GetInt64(0), r.GetString(1))
            : new AuditWriter(session.Db, references, 0, AuditChain.Genesis);
    }

    /// <summary>The time of the request now being written (the gate writes several per transaction).</summary>
    internal void At(Instant instant) => now = instant;

    internal (long Seq, string Hash, int Pending, int References) Mark() => (lastSeq, lastHash, pending.Count, newReferences.Count);

    /// <summary>Forget the records of a request rolled back to its savepoint; those of the requests before it stay.</summary>
    internal void Reset((long Seq, string Hash, int Pending, int References) mark)
    {
        (lastSeq, lastHash) = (mark.Seq, mark.Hash);
        pending.RemoveRange(mark.Pending, pending.Count - mark.Pending);
        newReferences.RemoveRange(mark.References, newReferences.Count - mark.References);
    }

    /// <summary>After the commit: the texts first recorded in it are known to every later transaction.</summary>
    internal void Committed()
    {
        references.Committed(newReferences);
        newReferences.Clear();
    }

    /// <summary>
    /// Refers to a text that many records would otherwise each repeat (a rule's source): the first
    /// time in this database's trail it is appended as a record of its own
    /// (<see cref="AuditChain.ReferenceAction"/>, subject reference/{id}), before the record that
    /// refers to it; after that records hold the id alone. <paramref name="id"/> is
    /// <see cref="AuditChain.ReferenceId"/> of <paramref name="dataJson"/>, which the caller keeps.
    /// </summary>
    public void Reference(string id, string dataJson)
    {
        if (references.Contains(id) || newReferences.Contains(id))
        {
            return;
        }

        Append(Actor.System, AuditChain.ReferenceAction, AuditChain.ReferenceSubject(id), dataJson);
        newReferences.Add(id);
    }

    /// <summary>
    /// Inserts the records appended since the last flush, in the current transaction, a chunk per
    /// statement. <paramref name="then"/>, a query returning one row, is sent in the same command
    /// as the last chunk (on PostgreSQL one round trip less for the writer): its row is returned.
    /// </summary>
    internal async Task<object[]?> FlushAsync(string? then, CancellationToken ct)
    {
        // A chunk stays far below either database's limit on parameters per statement.
        const int Chunk = 200;
        object[]? row = null;
        for (var from = 0; from < pending.Count; from += Chunk)
        {
            var count = Math.Min(Chunk, pending.Count - from);
            row = await InsertAsync(from, count, from + count == pending.Count ? then : null, ct);
        }

        if (pending.Count == 0 && then is not null)
        {
            row = await ReadRowAsync(db.Session!.Command(then), ct);
        }

        pending.Clear();
        return row;
    }

    private static async Task<object[]?> ReadRowAsync(System.Data.Common.DbCommand cmd, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }

        var row = new object[r.FieldCount];
        r.GetValues(row);
        return row;
    }

    private async Task<object[]?> InsertAsync(int from, int count, string? then, CancellationToken ct)
    {
        if (!db.Session!.HasRoundTrips)
        {
            await InsertRowByRowAsync(from, count, ct);
            return then is null ? null : await ReadRowAsync(db.Session.Command(then), ct);
        }

        // The statement's text depends only on the count (and the query after it), so the session keeps it prepared.
        var cmd = db.Session!.Command(then is null ? InsertSql(count) : InsertSql(count) + "; " + then);
        for (var i = 0; i < count; i++)
        {
            var values = Values(pending[from + i]);
            for (var j = 0; j < ColumnCount; j++)
            {
                var p = cmd.CreateParameter();
                p.ParameterName = $"@p{(i * ColumnCount) + j}";
                p.Value = values[j] ?? DBNull.Value;
                cmd.Parameters.Add(p);
            }
        }

        if (then is null)
        {
            await cmd.ExecuteNonQueryAsync(ct);
            return null;
        }

        // The insert returns no rows: the reader's only result set is the query's.
        return await ReadRowAsync(cmd, ct);
    }

    /// <summary>
    /// SQLite: one prepared single-row statement, run once per record with the same ten parameters.
    /// A statement of many rows has ten named parameters per row, and SQLite finds each name by a
    /// linear search of the statement's parameter list, so binding a batch's 400-odd parameters cost
    /// a quadratic number of string compares: `strncmp` was 6 % of the writer thread's time under a
    /// dispense load. Without a round trip to save, a row per run costs less.
    /// </summary>
    private async Task InsertRowByRowAsync(int from, int count, CancellationToken ct)
    {
        var cmd = db.Session!.Command(InsertSql(1));
        var parameters = new System.Data.Common.DbParameter[ColumnCount];
        for (var j = 0; j < ColumnCount; j++)
        {
            parameters[j] = cmd.CreateParameter();
            parameters[j].ParameterName = $"@p{j}";
            cmd.Parameters.Add(parameters[j]);
        }

        for (var i = 0; i < count; i++)
        {
            var values = Values(pending[from + i]);
            for (var j = 0; j < ColumnCount; j++)
            {
                parameters[j].Value = values[j] ?? DBNull.Value;
            }

            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>A record's values in the order of <see cref="Columns"/>.</summary>
    private static object?[] Values(AuditRecord r) => [r.Seq, r.At.ToUnixTimeTicks(), r.Actor, r.ActorRole, r.OnBehalfOf, r.Action, r.Subject, r.DataJson, r.PrevHash, r.Hash];

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> InsertSqlByCount = new();

    private static string InsertSql(int count) => InsertSqlByCount.GetOrAdd(count, n =>
    {
        var sql = new StringBuilder("INSERT INTO audit (").Append(Columns).Append(") VALUES ");
        for (var i = 0; i < n; i++)
        {
            sql.Append(i == 0 ? "(" : ", (");
            for (var j = 0; j < ColumnCount; j++)
            {
                sql.Append(j == 0 ? string.Empty : ", ").Append("@p").Append((i * ColumnCount) + j);
            }

            sql.Append(')');
        }

        return sql.ToString();
    });

    public void Append(Actor actor, string action, string subject, string dataJson)
    {
        var r = new AuditRecord
        {
            Seq = lastSeq + 1,
            At = now,
            Actor = actor.Id,
            ActorRole = actor.Role,
            OnBehalfOf = actor.OnBehalfOf,
            Action = action,
            Subject = subject,
            DataJson = dataJson,
            PrevHash = lastHash,
            Hash = string.Empty,
        };
        r.Hash = AuditChain.ComputeHash(r);
        pending.Add(r);
        lastSeq = r.Seq;
        lastHash = r.Hash;
    }
}
