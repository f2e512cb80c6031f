using System.Data.Common;
using ImidCare.Rules.Rems;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Rems;

/// <summary>
/// The pharmacy counter's writes (confirm, dispense) in plain SQL, run on EF's connection inside
/// the write gate's transaction. Every request the single writer carries costs it its full CPU
/// time, and through EF Core's change tracker these two were about 1 ms each: the dispense rate
/// was bound by that, not by the disk (docs/benchmarks.md). Each update names the row version it
/// read, so a row changed by anything else fails loudly instead of being overwritten — under the
/// gate that cannot happen, and if it ever did the request's savepoint undoes it.
/// </summary>
internal static class CounterSql
{
    /// <summary>A confirmation with its authorization, and the outages of the authorization's program: what a dispense is decided on.</summary>
    internal sealed record DispenseContext(
        string Number, string PharmacyId, string State, int Version, Instant IssuedAt, Instant ExpiresAt,
        string AuthorizationNumber, string PatientId, string ProgramId, int AuthorizedDaysSupply, string Category, int AuthorizationVersion,
        bool TherapyStarted, IReadOnlyList<Outage> Outages);

    private const string DispenseContextSql = """
        SELECT c."Number", c."PharmacyId", c."State", c."Version", c."IssuedAt", c."ExpiresAt",
               a."Number", a."PatientId", a."ProgramId", a."DaysSupply", a."Category", a."Version",
               EXISTS (SELECT 1 FROM enrollments e WHERE e."PatientId" = a."PatientId" AND e."ProgramId" = a."ProgramId" AND e."TherapyStart" IS NOT NULL)
        FROM confirmations c JOIN authorizations a ON a."Number" = c."AuthorizationNumber" WHERE c."Number" = @c;
        SELECT o."From", o."To", o."Reason" FROM outages o
        WHERE o."ProgramId" IS NULL OR o."ProgramId" = (SELECT a."ProgramId" FROM confirmations c JOIN authorizations a ON a."Number" = c."AuthorizationNumber" WHERE c."Number" = @c);
        """;

    // The insert simply does not happen when the number is taken, and the caller draws another.
    private const string InsertConfirmation = """
        INSERT INTO confirmations ("Number", "AuthorizationNumber", "PharmacyId", "IssuedAt", "ExpiresAt", "State", "Version")
        SELECT @n, @a, @pharmacy, @issued, @expires, @cstate, 1
        WHERE NOT EXISTS (SELECT 1 FROM confirmations WHERE "Number" = @n)
        """;

    private const string InsertConfirmationSql = InsertConfirmation + ";";

    private const string AuthorizationStateSql = """
        UPDATE authorizations SET "State" = @state, "Version" = "Version" + 1 WHERE "Number" = @a AND "Version" = @v;
        """;

    // PostgreSQL: both writes in one statement, one round trip (each is one on the writer's serial
    // path): the authorization moves only if the confirmation went in.
    private const string ConfirmSqlPostgres = """
        WITH c AS (
        """ + InsertConfirmation + """
         RETURNING 1 AS x),
        a AS (UPDATE authorizations SET "State" = @state, "Version" = "Version" + 1
              WHERE "Number" = @a AND "Version" = @v AND EXISTS (SELECT 1 FROM c) RETURNING 1)
        SELECT (SELECT x FROM c), (SELECT count(*) FROM a);
        """;

    // A dispense's row and what it moves, written once for every statement below: the two-step
    // dispense, and the one-step on each database, so none can write a dispense differently.
    private const string DispenseColumns = """
        dispenses ("Id", "ConfirmationNumber", "AuthorizationNumber", "PatientId", "PharmacyId", "Ndc", "Quantity", "DaysSupply", "DispensedOn", "At", "ChecklistJson")
        """;

    private const string DispenseValues = "@id, @c, @a, @patient, @pharmacy, @ndc, @quantity, @days, @on, @at, @checklist";

    private const string AuthorizationDispensed = """
        UPDATE authorizations SET "State" = 'Dispensed', "Version" = "Version" + 1 WHERE "Number" = @a AND "Version" = @av
        """;

    private const string TherapyStarts = """
        UPDATE enrollments SET "TherapyStart" = @on WHERE "PatientId" = @patient AND "ProgramId" = @program AND "TherapyStart" IS NULL
        """;

    private const string RecordDispenseSql =
        "INSERT INTO " + DispenseColumns + " VALUES (" + DispenseValues + ");\n"
        + """UPDATE confirmations SET "State" = 'dispensed', "Version" = "Version" + 1 WHERE "Number" = @c AND "Version" = @cv;""" + "\n"
        + AuthorizationDispensed + ";\n"
        + TherapyStarts + ";";

    // One step (a confirmation obtained and used in the same commit): the confirmation goes in
    // already used, the authorization moves from active straight to dispensed, and the dispense row
    // and first fill's therapy start are written as by a two-step dispense. Nothing is re-read.
    // On SQLite the enrollment moves only if the authorization just did (changes(): the rows of the
    // statement before it), so the row count cannot hide an authorization that did not move.
    private const string DispenseOfNewConfirmationSql =
        "INSERT INTO " + DispenseColumns + " VALUES (" + DispenseValues + ");\n"
        + AuthorizationDispensed + ";\n"
        + TherapyStarts + " AND changes() = 1;";

    // PostgreSQL: all four writes in one statement, one round trip; the rest happen only if the
    // confirmation's number was free.
    private const string ConfirmedDispenseSqlPostgres =
        "WITH c AS (" + InsertConfirmation + " RETURNING 1 AS x),\n"
        + "d AS (INSERT INTO " + DispenseColumns + " SELECT " + DispenseValues + " WHERE EXISTS (SELECT 1 FROM c) RETURNING 1),\n"
        + "a AS (" + AuthorizationDispensed + " AND EXISTS (SELECT 1 FROM c) RETURNING 1),\n"
        + "e AS (" + TherapyStarts + " AND EXISTS (SELECT 1 FROM c) RETURNING 1)\n"
        + "SELECT (SELECT x FROM c), (SELECT count(*) FROM d), (SELECT count(*) FROM a);";

    internal static Task<DispenseContext?> DispenseContextAsync(ImidCareDb db, string confirmationNumber, CancellationToken ct) =>
        FactsQuery.WithCommandAsync(db, DispenseContextSql, async cmd =>
        {
            FactsQuery.Add(cmd, "c", confirmationNumber);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct))
            {
                return null;
            }

            var context = new DispenseContext(
                r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), Instant.FromUnixTimeTicks(r.GetInt64(4)), Instant.FromUnixTimeTicks(r.GetInt64(5)),
                r.GetString(6), r.GetString(7), r.GetString(8), r.GetInt32(9), r.GetString(10), r.GetInt32(11), r.GetBoolean(12), []);
            await r.NextResultAsync(ct);
            return context with { Outages = await FactsQuery.ReadOutagesAsync(r, ct) };
        });

    /// <summary>
    /// Inserts an active confirmation and moves its authorization to confirmed from the version
    /// that was read. False when the number is already taken: then nothing is written.
    /// </summary>
    internal static Task<bool> InsertConfirmationAsync(
        ImidCareDb db, string number, string authorizationNumber, int authorizationVersion, string pharmacyId, Instant issuedAt, Instant expiresAt, CancellationToken ct)
    {
        const string state = nameof(AuthorizationState.Confirmed);
        var postgres = db.IsPostgres;
        return FactsQuery.WithCommandAsync(db, postgres ? ConfirmSqlPostgres : InsertConfirmationSql, async cmd =>
        {
            FactsQuery.Add(cmd, "n", number);
            FactsQuery.Add(cmd, "a", authorizationNumber);
            FactsQuery.Add(cmd, "pharmacy", pharmacyId);
            FactsQuery.Add(cmd, "issued", issuedAt.ToUnixTimeTicks());
            FactsQuery.Add(cmd, "expires", expiresAt.ToUnixTimeTicks());
            FactsQuery.Add(cmd, "cstate", "active");
            if (!postgres)
            {
                if (await cmd.ExecuteNonQueryAsync(ct) != 1)
                {
                    return false;
                }

                await SetAuthorizationStateAsync(db, authorizationNumber, authorizationVersion, state, ct);
                return true;
            }

            FactsQuery.Add(cmd, "state", state);
            FactsQuery.Add(cmd, "v", authorizationVersion);
            bool inserted;
            long moved;
            await using (var r = await cmd.ExecuteReaderAsync(ct))
            {
                await r.ReadAsync(ct);
                inserted = !r.IsDBNull(0);
                moved = r.GetInt64(1);
            }

            if (!inserted)
            {
                return false;
            }

            Expect((int)moved, 1, $"authorization {authorizationNumber}");
            return true;
        });
    }

    /// <summary>Moves an authorization to a new state from the version that was read.</summary>
    private static Task SetAuthorizationStateAsync(ImidCareDb db, string number, int readVersion, string state, CancellationToken ct) =>
        FactsQuery.WithCommandAsync(db, AuthorizationStateSql, async cmd =>
        {
            FactsQuery.Add(cmd, "state", state);
            FactsQuery.Add(cmd, "a", number);
            FactsQuery.Add(cmd, "v", readVersion);
            Expect(await cmd.ExecuteNonQueryAsync(ct), 1, $"authorization {number}");
            return 0;
        });

    /// <summary>The dispense row, the confirmation and authorization marked used, the therapy start set on the first fill: one command.</summary>
    internal static Task RecordDispenseAsync(ImidCareDb db, DispenseRecord d, DispenseContext read, CancellationToken ct)
    {
        return FactsQuery.WithCommandAsync(db, RecordDispenseSql, async cmd =>
        {
            FactsQuery.Add(cmd, "a", d.AuthorizationNumber);
            FactsQuery.Add(cmd, "pharmacy", d.PharmacyId);
            AddDispense(cmd, d, read.AuthorizationVersion, read.ProgramId);
            FactsQuery.Add(cmd, "cv", read.Version);
            // The enrollment is written only on the first fill: a refill leaves its page alone, one page less to commit.
            var expected = read.TherapyStarted ? 3 : 4;
            Expect(await cmd.ExecuteNonQueryAsync(ct), expected, $"dispense against confirmation {d.ConfirmationNumber}");
            return 0;
        });
    }

    /// <summary>
    /// Confirmation and dispense in one step: the confirmation <paramref name="number"/> inserted
    /// already used (issued at the dispense's instant, expiring at <paramref name="expiresAt"/>), the
    /// dispense row, the authorization moved to dispensed from the version that was read, the
    /// therapy start set on the first fill. False when the number is already taken: then nothing is written.
    /// </summary>
    internal static Task<bool> RecordConfirmedDispenseAsync(ImidCareDb db, DispenseRecord d, Instant expiresAt, int authorizationVersion, string programId, CancellationToken ct)
    {
        var postgres = db.IsPostgres;
        return FactsQuery.WithCommandAsync(db, postgres ? ConfirmedDispenseSqlPostgres : InsertConfirmationSql, async cmd =>
        {
            FactsQuery.Add(cmd, "n", d.ConfirmationNumber);
            FactsQuery.Add(cmd, "a", d.AuthorizationNumber);
            FactsQuery.Add(cmd, "pharmacy", d.PharmacyId);
            FactsQuery.Add(cmd, "issued", d.At.ToUnixTimeTicks());
            FactsQuery.Add(cmd, "expires", expiresAt.ToUnixTimeTicks());
            FactsQuery.Add(cmd, "cstate", "dispensed");
            if (!postgres)
            {
                if (await cmd.ExecuteNonQueryAsync(ct) != 1)
                {
                    return false;
                }

                return await FactsQuery.WithCommandAsync(db, DispenseOfNewConfirmationSql, async rest =>
                {
                    FactsQuery.Add(rest, "a", d.AuthorizationNumber);
                    FactsQuery.Add(rest, "pharmacy", d.PharmacyId);
                    AddDispense(rest, d, authorizationVersion, programId);
                    // The dispense and the authorization, and the enrollment on the program's first fill
                    // only: whether it is one is not read here, so 2 or 3 (see DispenseOfNewConfirmationSql).
                    var affected = await rest.ExecuteNonQueryAsync(ct);
                    Expect(affected == 3 ? 2 : affected, 2, $"dispense against authorization {d.AuthorizationNumber}");
                    return true;
                });
            }

            AddDispense(cmd, d, authorizationVersion, programId);
            bool inserted;
            long written, moved;
            await using (var r = await cmd.ExecuteReaderAsync(ct))
            {
                await r.ReadAsync(ct);
                inserted = !r.IsDBNull(0);
                written = r.GetInt64(1);
                moved = r.GetInt64(2);
            }

            if (!inserted)
            {
                return false;
            }

            Expect((int)(written + moved), 2, $"dispense against authorization {d.AuthorizationNumber}");
            return true;
        });
    }

    // A dispense's values beyond its authorization and pharmacy (which a statement may already carry).
    private static void AddDispense(DbCommand cmd, DispenseRecord d, int authorizationVersion, string programId)
    {
        FactsQuery.Add(cmd, "id", d.Id);
        FactsQuery.Add(cmd, "c", d.ConfirmationNumber);
        FactsQuery.Add(cmd, "patient", d.PatientId);
        FactsQuery.Add(cmd, "ndc", d.Ndc);
        FactsQuery.Add(cmd, "quantity", d.Quantity);
        FactsQuery.Add(cmd, "days", d.DaysSupply);
        FactsQuery.Add(cmd, "on", d.DispensedOn.ToDateOnly());
        FactsQuery.Add(cmd, "at", d.At.ToUnixTimeTicks());
        FactsQuery.Add(cmd, "checklist", d.ChecklistJson);
        FactsQuery.Add(cmd, "av", authorizationVersion);
        FactsQuery.Add(cmd, "program", programId);
    }

    /// <summary>Stops EF from writing an entity whose row was just written here (its version would no longer match).</summary>
    internal static void Forget(ImidCareDb db, object entity)
    {
        var entry = db.Entry(entity);
        if (entry.State != EntityState.Detached)
        {
            entry.State = EntityState.Detached;
        }
    }

    private static void Expect(int affected, int expected, string what)
    {
        if (affected != expected)
        {
            throw new DbUpdateConcurrencyException($"The {what} changed while it was being written ({affected} of {expected} rows); nothing of this request is kept.");
        }
    }
}
