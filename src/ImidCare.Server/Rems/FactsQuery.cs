using System.Data.Common;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using NodaTime;

namespace ImidCare.Server.Rems;

/// <summary>
/// The REMS facts of one patient, read in one database round trip: every statement in one
/// command, one result set each. The pharmacy's counter path (status, confirm) runs this on every
/// call; through EF Core it was a dozen separate queries, each paying EF's per-query cost, and
/// that — not the database — was the time (docs/benchmarks.md). The SQL is plain enough for both
/// SQLite and PostgreSQL (quoted identifiers, LIMIT, no JSON functions), and the values are read
/// with the same representations the EF model stores (Unix ticks, ISO dates).
/// </summary>
internal static class FactsQuery
{
    private const string PatientColumns = """p."Id", p."Name", p."DateOfBirth", p."Sex", p."PrescriberId", p."MenstrualPattern", p."GuardianName", p."CreatedAt" """;

    private const string AuthorizationColumns = """a."Number", a."PatientId", a."PrescriberId", a."ProgramId", a."Drug", a."Category", a."DaysSupply", a."IssuedAt", a."ValidThrough", a."ExpiresAt", a."AnchorTestDate", a."State", a."Version" """;

    // The last dispense is the last in the program being decided, never the patient's last of any
    // drug: the three REMS are separate programs with separate records, and a patient switched from
    // lenalidomide to pomalidomide is on a first fill in the new program, not an early refill of the
    // old one (docs/rems-rules.md, "Early fill"). A dispense names no program; its authorization
    // does. The walk down the patient's (PatientId, At) index, newest first, stops at the first fill
    // of the program, one primary-key lookup per fill passed: an index walk still, no sort, no new index.
    internal const string FactsSql = """
        SELECT e."Id", e."PatientId", e."ProgramId", e."Category", e."Status", e."EnrolledAt", e."TherapyStart", e."FactsJson" FROM enrollments e WHERE e."PatientId" = @pid AND e."ProgramId" = @prog;
        SELECT CAST(COUNT(*) AS BIGINT) FROM agreements g JOIN enrollments e ON g."EnrollmentId" = e."Id" WHERE e."PatientId" = @pid AND e."ProgramId" = @prog AND g."TextVersion" = @agv;
        SELECT h."Id", h."Code", h."Why", h."ClearedByList", h."SatisfiedList", h."OpenedAt" FROM holds h WHERE h."PatientId" = @pid AND h."ClearedAt" IS NULL;
        SELECT t."SpecimenAt", t."Result", t."SensitivityMiuPerMl", t."Setting" FROM pregnancy_tests t WHERE t."PatientId" = @pid;
        SELECT s."CompletedOn" FROM surveys s WHERE s."PatientId" = @pid AND s."ProgramId" = @prog ORDER BY s."CompletedAt" DESC LIMIT 1;
        SELECT d."DispensedOn", d."DaysSupply" FROM dispenses d JOIN authorizations da ON da."Number" = d."AuthorizationNumber" WHERE d."PatientId" = @pid AND da."ProgramId" = @prog ORDER BY d."At" DESC LIMIT 1;
        SELECT a."AnchorTestDate" FROM authorizations a WHERE a."PatientId" = @pid AND a."ProgramId" = @prog AND a."State" = 'Active' AND a."AnchorTestDate" IS NOT NULL AND a."ExpiresAt" <= @now;
        SELECT c."Status" FROM prescriber_certifications c WHERE c."PrescriberId" = @prescriber AND c."ProgramId" = @prog;
        """;

    private const string CounterSql = """
        SELECT c."Status" FROM pharmacy_certifications c WHERE c."PharmacyId" = @pharmacy AND c."ProgramId" = @prog;
        SELECT c."Status" FROM prescriber_certifications c WHERE c."PrescriberId" = @authprescriber AND c."ProgramId" = @prog;
        SELECT o."From", o."To", o."Reason" FROM outages o WHERE o."ProgramId" IS NULL OR o."ProgramId" = @prog;
        """;

    // The rare part of a confirmation's facts, read only when the counter's row counted some.
    internal const string HoldsAndOutagesSql = """
        SELECT h."Code", h."Why", h."ClearedByList" FROM holds h WHERE h."PatientId" = @pid AND h."ClearedAt" IS NULL;
        SELECT o."From", o."To", o."Reason" FROM outages o WHERE o."ProgramId" IS NULL OR o."ProgramId" = @prog;
        """;

    /// <summary>What the pharmacy counter needs beyond the patient's facts.</summary>
    internal sealed record CounterFacts(CertificationStatus? Pharmacy, CertificationStatus? AuthorizationPrescriber, IReadOnlyList<Outage> Outages);

    internal static async Task<PatientFacts?> LoadAsync(ImidCareDb db, Patient patient, ProgramRules program, Instant now, CancellationToken ct)
    {
        return await WithCommandAsync(db, FactsSql, async cmd =>
        {
            Add(cmd, "pid", patient.Id);
            Add(cmd, "prog", program.Id);
            Add(cmd, "agv", program.AgreementTextVersion);
            Add(cmd, "now", now.ToUnixTimeTicks());
            Add(cmd, "prescriber", patient.PrescriberId);

            await using var r = await cmd.ExecuteReaderAsync(ct);
            Enrollment? enrollment = null;
            if (await r.ReadAsync(ct))
            {
                enrollment = new Enrollment
                {
                    Id = r.GetString(0), PatientId = r.GetString(1), ProgramId = r.GetString(2), Category = r.GetString(3), Status = r.GetString(4),
                    EnrolledAt = Instant.FromUnixTimeTicks(r.GetInt64(5)), TherapyStart = r.IsDBNull(6) ? null : Date(r, 6), FactsJson = r.GetString(7),
                };
            }

            await r.NextResultAsync(ct);
            await r.ReadAsync(ct);
            var agreement = r.GetInt64(0) > 0;

            await r.NextResultAsync(ct);
            var holds = new List<HoldRecord>();
            while (await r.ReadAsync(ct))
            {
                holds.Add(new HoldRecord
                {
                    Id = r.GetString(0), PatientId = patient.Id, Code = r.GetString(1), Why = r.GetString(2), ClearedByList = r.GetString(3),
                    SatisfiedList = r.GetString(4), OpenedAt = Instant.FromUnixTimeTicks(r.GetInt64(5)),
                });
            }

            await r.NextResultAsync(ct);
            var tests = new List<PregnancyTest>();
            while (await r.ReadAsync(ct))
            {
                tests.Add(new PregnancyTest(Instant.FromUnixTimeTicks(r.GetInt64(0)), Enum.Parse<TestResult>(r.GetString(1)), r.GetInt32(2), Enum.Parse<TestSetting>(r.GetString(3))));
            }

            await r.NextResultAsync(ct);
            LocalDate? lastSurvey = await r.ReadAsync(ct) ? Date(r, 0) : null;

            await r.NextResultAsync(ct);
            PreviousDispense? lastDispense = await r.ReadAsync(ct) ? new PreviousDispense(Date(r, 0), r.GetInt32(1)) : null;

            await r.NextResultAsync(ct);
            var missed = new List<MissedWindow>();
            while (await r.ReadAsync(ct))
            {
                missed.Add(new MissedWindow(Date(r, 0)));
            }

            await r.NextResultAsync(ct);
            var prescriberCert = await StatusAsync(r, ct);
            return enrollment is null
                ? null
                : new PatientFacts(
                    patient, enrollment, program, Enum.Parse<RiskCategory>(enrollment.Category), agreement, holds, tests, lastSurvey, lastDispense,
                    lastDispense is null, missed, prescriberCert);
        });
    }

    // The counter's most frequent read as one statement: the authorization, its patient, and the
    // confirmation's facts as scalar subqueries. Statements, not rows, were the cost (each pays the
    // driver's per-statement and per-column work, and on SQLite its own read transaction); the
    // open holds and declared outages, rare, are only counted here and read by the full query
    // when there are any. The last dispense, as in FactsSql, is the last in the authorization's
    // program (see the note above FactsSql).
    internal const string CounterRowSql = $"""
        SELECT {AuthorizationColumns}, {PatientColumns},
          (SELECT e."Status" FROM enrollments e WHERE e."PatientId" = a."PatientId" AND e."ProgramId" = a."ProgramId"),
          (SELECT CAST(COUNT(*) AS BIGINT) FROM holds h WHERE h."PatientId" = a."PatientId" AND h."ClearedAt" IS NULL),
          (SELECT s."CompletedOn" FROM surveys s WHERE s."PatientId" = a."PatientId" AND s."ProgramId" = a."ProgramId" ORDER BY s."CompletedAt" DESC LIMIT 1),
          (SELECT d."DispensedOn" FROM dispenses d JOIN authorizations da ON da."Number" = d."AuthorizationNumber" WHERE d."PatientId" = a."PatientId" AND da."ProgramId" = a."ProgramId" ORDER BY d."At" DESC LIMIT 1),
          (SELECT d."DaysSupply" FROM dispenses d JOIN authorizations da ON da."Number" = d."AuthorizationNumber" WHERE d."PatientId" = a."PatientId" AND da."ProgramId" = a."ProgramId" ORDER BY d."At" DESC LIMIT 1),
          (SELECT c."Status" FROM pharmacy_certifications c WHERE c."PharmacyId" = @pharmacy AND c."ProgramId" = a."ProgramId"),
          (SELECT c."Status" FROM prescriber_certifications c WHERE c."PrescriberId" = a."PrescriberId" AND c."ProgramId" = a."ProgramId"),
          (SELECT CAST(COUNT(*) AS BIGINT) FROM outages o WHERE o."ProgramId" IS NULL OR o."ProgramId" = a."ProgramId")
        FROM authorizations a JOIN patients p ON p."Id" = a."PatientId" WHERE a."Number" = @n
        """;

    /// <summary>An authorization by number, its patient, and what this pharmacy's confirmation of it is decided on; null when there is no such authorization.</summary>
    internal static async Task<(AuthorizationRecord Authorization, Patient Patient, ConfirmationFacts Facts)?> AtCounterAsync(
        ImidCareDb db, string number, string pharmacyId, Instant now, CancellationToken ct)
    {
        var row = await WithCommandAsync(db, CounterRowSql, async cmd =>
        {
            Add(cmd, "n", number);
            Add(cmd, "pharmacy", pharmacyId);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct))
            {
                return null;
            }

            const int f = 21;
            var auth = ReadAuthorization(r);
            return new CounterRow(
                auth, ReadPatient(r, 13, auth.PatientId),
                r.IsDBNull(f) ? null : Enum.Parse<EnrollmentStatus>(r.GetString(f)),
                r.IsDBNull(f + 2) ? null : Date(r, f + 2),
                r.IsDBNull(f + 3) ? null : new PreviousDispense(Date(r, f + 3), r.GetInt32(f + 4)),
                Certification(r, f + 5), Certification(r, f + 6),
                HoldsOrOutages: r.GetInt64(f + 1) > 0 || r.GetInt64(f + 7) > 0);
        });

        if (row is null)
        {
            return null;
        }

        var a = row.Authorization;
        var (holds, outages) = row.HoldsOrOutages ? await HoldsAndOutagesAsync(db, a.PatientId, a.ProgramId, ct) : ([], []);
        var facts = AuthorizationEndpoints.ConfirmationFacts(
            ProgramCatalog.Find(a.ProgramId)!, row.Enrollment, holds, row.LastSurvey, row.LastDispense, new CounterFacts(row.Pharmacy, row.Prescriber, outages), a, now);
        return (a, row.Patient, facts);
    }

    private sealed record CounterRow(
        AuthorizationRecord Authorization, Patient Patient, EnrollmentStatus? Enrollment, LocalDate? LastSurvey, PreviousDispense? LastDispense,
        CertificationStatus? Pharmacy, CertificationStatus? Prescriber, bool HoldsOrOutages);

    private static CertificationStatus? Certification(DbDataReader r, int i) => r.IsDBNull(i) ? null : Enum.Parse<CertificationStatus>(r.GetString(i));

    private static Task<(IReadOnlyList<OpenHold> Holds, IReadOnlyList<Outage> Outages)> HoldsAndOutagesAsync(ImidCareDb db, string patientId, string programId, CancellationToken ct) =>
        WithCommandAsync(db, HoldsAndOutagesSql, async cmd =>
        {
            Add(cmd, "pid", patientId);
            Add(cmd, "prog", programId);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            var holds = new List<OpenHold>();
            while (await r.ReadAsync(ct))
            {
                holds.Add(new OpenHold(r.GetString(0), r.GetString(1), PatientFacts.Clearances(r.GetString(2))));
            }

            await r.NextResultAsync(ct);
            return ((IReadOnlyList<OpenHold>)holds, await ReadOutagesAsync(r, ct));
        });

    /// <summary>Only the counter's facts, for a caller that already holds the patient's.</summary>
    internal static async Task<CounterFacts> CounterAsync(ImidCareDb db, string programId, string pharmacyId, string authorizationPrescriberId, CancellationToken ct) =>
        await WithCommandAsync(db, CounterSql, async cmd =>
        {
            Add(cmd, "prog", programId);
            Add(cmd, "pharmacy", pharmacyId);
            Add(cmd, "authprescriber", authorizationPrescriberId);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            return await ReadCounterAsync(r, ct);
        });

    /// <summary>The three result sets of <see cref="CounterSql"/>, from the reader positioned on the first.</summary>
    private static async Task<CounterFacts> ReadCounterAsync(DbDataReader r, CancellationToken ct)
    {
        var pharmacyCert = await StatusAsync(r, ct);
        await r.NextResultAsync(ct);
        var authPrescriberCert = await StatusAsync(r, ct);
        await r.NextResultAsync(ct);
        return new CounterFacts(pharmacyCert, authPrescriberCert, await ReadOutagesAsync(r, ct));
    }

    /// <summary>A result set of outages' "From", "To", "Reason", from the reader positioned on it.</summary>
    internal static async Task<IReadOnlyList<Outage>> ReadOutagesAsync(DbDataReader r, CancellationToken ct)
    {
        var outages = new List<Outage>();
        while (await r.ReadAsync(ct))
        {
            outages.Add(new Outage(Instant.FromUnixTimeTicks(r.GetInt64(0)), Instant.FromUnixTimeTicks(r.GetInt64(1)), r.GetString(2)));
        }

        return outages;
    }

    /// <summary>An authorization and its patient, by number, for the read-only status check.</summary>
    internal static async Task<(AuthorizationRecord Authorization, Patient Patient)?> AuthorizationAsync(ImidCareDb db, string number, CancellationToken ct) =>
        await WithCommandAsync(db, $"""SELECT {AuthorizationColumns}, {PatientColumns} FROM authorizations a JOIN patients p ON p."Id" = a."PatientId" WHERE a."Number" = @n""", async cmd =>
        {
            Add(cmd, "n", number);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct))
            {
                return ((AuthorizationRecord, Patient)?)null;
            }

            var a = ReadAuthorization(r);
            return (a, ReadPatient(r, 13, a.PatientId));
        });

    internal static async Task<Patient?> PatientAsync(ImidCareDb db, string id, CancellationToken ct) =>
        await WithCommandAsync(db, $"""SELECT {PatientColumns} FROM patients p WHERE p."Id" = @id""", async cmd =>
        {
            Add(cmd, "id", id);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            return await r.ReadAsync(ct) ? ReadPatient(r, 0) : null;
        });

    /// <summary><see cref="AuthorizationColumns"/> from the reader's first column on.</summary>
    // The status cache keeps what these read for every number it answers: the columns with few
    // distinct values (programs, drugs, categories, states, prescribers) share one string each,
    // so an entry holds few objects of its own and the collector has less to move as the cache fills.
    private static AuthorizationRecord ReadAuthorization(DbDataReader r) => new()
    {
        Number = r.GetString(0), PatientId = r.GetString(1), PrescriberId = Shared(r, 2), ProgramId = Shared(r, 3), Drug = Shared(r, 4),
        Category = Shared(r, 5), DaysSupply = r.GetInt32(6), IssuedAt = Instant.FromUnixTimeTicks(r.GetInt64(7)), ValidThrough = Date(r, 8),
        ExpiresAt = Instant.FromUnixTimeTicks(r.GetInt64(9)), AnchorTestDate = r.IsDBNull(10) ? null : Date(r, 10), State = Shared(r, 11),
        Version = r.GetInt32(12),
    };

    private static Patient ReadPatient(DbDataReader r, int i, string? knownId = null)
    {
        var id = r.GetString(i);
        return new()
        {
            Id = id == knownId ? knownId : id, Name = r.GetString(i + 1), DateOfBirth = Date(r, i + 2), Sex = Shared(r, i + 3), PrescriberId = Shared(r, i + 4),
            MenstrualPattern = Shared(r, i + 5), GuardianName = r.IsDBNull(i + 6) ? null : r.GetString(i + 6), CreatedAt = Instant.FromUnixTimeTicks(r.GetInt64(i + 7)),
        };
    }

    /// <summary>The column's value as the one string kept for it (<see cref="SharedStrings"/>).</summary>
    private static string Shared(DbDataReader r, int i) => SharedStrings.Intern(r.GetString(i));

    private static async Task<CertificationStatus?> StatusAsync(DbDataReader r, CancellationToken ct) =>
        await r.ReadAsync(ct) ? Enum.Parse<CertificationStatus>(r.GetString(0)) : null;

    private static LocalDate Date(DbDataReader r, int i) => LocalDate.FromDateOnly(r.GetFieldValue<DateOnly>(i));

    internal static void Add(DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = "@" + name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
    }

    /// <summary>Runs on the context's connection, inside its transaction when a write has one open.</summary>
    internal static async Task<T> WithCommandAsync<T>(ImidCareDb db, string sql, Func<DbCommand, Task<T>> run)
    {
        if (db.Session is { } session)
        {
            // A kept-open session: the command, and its statements, are prepared once and reused.
            return await run(session.Command(sql));
        }

        var connection = db.Database.GetDbConnection();
        var opened = false;
        if (connection.State != System.Data.ConnectionState.Open)
        {
            await db.Database.OpenConnectionAsync();
            opened = true;
        }

        try
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            return await run(cmd);
        }
        finally
        {
            if (opened)
            {
                await db.Database.CloseConnectionAsync();
            }
        }
    }
}
