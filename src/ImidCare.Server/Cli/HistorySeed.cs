using System.Data.Common;
using System.Diagnostics;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Store;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Cli;

/// <summary>
/// Scale data for the compliance sweep and the hot paths (`imidcare bench-seed --patients N`): N
/// enrolled patients across the three programs and the risk categories, each with a year of
/// history — a 28-day fill cycle of survey, pregnancy test (for those who can get pregnant),
/// authorization, confirmation and dispense — and a spread of the states the sweep looks for:
/// late tests, overdue surveys, authorizations expiring today. Written with prepared statements
/// on one connection in large transactions, because a million patients is ~50 million rows and
/// going through EF and the write gate one patient at a time would take hours. One audit record
/// says what was bulk-loaded, so the chain stays whole.
/// </summary>
internal static class HistorySeed
{
    private const int PatientsPerTransaction = 5_000;
    private const int Fills = 13;

    private static readonly (ProgramRules Program, string Drug, string Ndc)[] Programs =
    [
        (ProgramCatalog.Lenalidomide, "lenalidomide", "59572041028"),
        (ProgramCatalog.Pomalidomide, "pomalidomide", "59572050121"),
        (ProgramCatalog.Thalidomide, "thalidomide", "59572021015"),
    ];

    public static async Task<long> RunAsync(IServiceProvider sp, int patients, Instant now, CancellationToken ct)
    {
        var factory = sp.GetRequiredService<IDbContextFactory<ImidCareDb>>();
        var clock = Stopwatch.StartNew();
        long rows = 0;
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            await db.Database.OpenConnectionAsync(ct);
            var connection = db.Database.GetDbConnection();
            if (db.Database.IsSqlite())
            {
                // Tens of millions of rows: index pages stay in memory (512 MiB here) instead of the 2 MiB default.
                await db.Database.ExecuteSqlRawAsync("PRAGMA cache_size=-524288", ct);
            }

            var zone = ProgramCatalog.Lenalidomide.Zone;
            var today = now.InZone(zone).Date;
            var agreementHash = Programs.ToDictionary(p => p.Program.Id, p => AgreementTexts.Sha256(p.Program));
            for (var start = 0; start < patients; start += PatientsPerTransaction)
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                var w = new Writers(connection, tx);
                for (var i = start; i < Math.Min(patients, start + PatientsPerTransaction); i++)
                {
                    ct.ThrowIfCancellationRequested();
                    rows += WritePatient(w, i, now, today, zone, agreementHash);
                }

                await tx.CommitAsync(ct);
                if ((start / PatientsPerTransaction) % 20 == 0)
                {
                    Console.WriteLine($"  {Math.Min(patients, start + PatientsPerTransaction):N0} patients, {rows:N0} rows, {clock.Elapsed.TotalSeconds:F0} s");
                }
            }
        }

        var gate = sp.GetRequiredService<WriteGate>();
        await gate.RunAsync((db, audit, at) =>
        {
            audit.Append(new Actor("bench-seed", "system"), "bench.history-loaded", "system/bench", audit.Data(new { patients, rows, fills = Fills }));
            return Task.FromResult(0);
        }, ct);
        return rows;
    }

    private static int WritePatient(Writers w, int i, Instant now, LocalDate today, DateTimeZone zone, Dictionary<string, string> agreementHash)
    {
        var (program, drug, ndc) = Programs[i % Programs.Length];
        var kind = i % 10;
        var (category, sex, pattern) = kind switch
        {
            < 3 => (RiskCategory.AdultFemaleCanGetPregnant, "Female", kind == 2 ? "Irregular" : "Regular"),
            < 5 => (RiskCategory.AdultFemaleCannotGetPregnant, "Female", "None"),
            _ => (RiskCategory.AdultMale, "Male", "None"),
        };
        var frp = category.CanGetPregnant();
        var id = $"pat_hist_{i:D7}";
        var prescriber = i % 2 == 0 ? "prs_demo_park" : "prs_demo_ode";

        // Therapy began a year ago, offset by up to four weeks so fills fall on every day of the month.
        var firstFill = today.PlusDays(-(Fills - 1) * 28 - (i % 28));
        var enrolledAt = zone.AtStartOfDay(firstFill.PlusDays(-14)).ToInstant();
        w.Exec(w.Patient, id, $"History Patient {i}", new DateOnly(1950 + i % 40, 1 + i % 12, 1 + i % 28), sex, prescriber, pattern, Ticks(enrolledAt));
        w.Exec(w.Enrollment, $"enr_{id}", id, program.Id, category.ToString(), "Enrolled", Ticks(enrolledAt), firstFill.ToDateOnly(), "{}");
        w.Exec(w.Agreement, $"agr_{id}", $"enr_{id}", $"History Patient {i}", "patient", Ticks(enrolledAt), program.AgreementTextVersion, agreementHash[program.Id], prescriber);
        var rows = 3;

        // The states the sweep reports, spread over the population: every 10th misses its last
        // survey, every 7th woman who can get pregnant its last test, every 50th has an
        // authorization expiring today, every 20th is mid-fill with an authorization not yet used.
        var skipLastSurvey = i % 10 == 9;
        var skipLastTest = frp && i % 7 == 3;
        for (var k = 0; k < Fills; k++)
        {
            var fillDay = firstFill.PlusDays(k * 28);
            if (fillDay > today)
            {
                break;
            }

            var last = k == Fills - 1 || fillDay.PlusDays(28) > today;
            var dayStart = zone.AtStartOfDay(fillDay).ToInstant();
            if (!(last && skipLastSurvey) && k > 0)
            {
                w.Exec(w.Survey, $"srv_{id}_{k}", id, program.Id, Ticks(dayStart + Duration.FromHours(9)), fillDay.ToDateOnly(), "{}", nameof(ImidCare.Rules.Outcome.Allowed));
                rows++;
            }

            LocalDate? anchor = null;
            if (frp && !(last && skipLastTest))
            {
                var specimen = dayStart + Duration.FromHours(8) - Duration.FromDays(1);
                w.Exec(w.Test, $"tst_{id}_{k}", id, Ticks(specimen), "Negative", 25, "Lab", prescriber, Ticks(specimen + Duration.FromHours(4)));
                anchor = fillDay.PlusDays(-1);
                rows++;
            }

            var authNumber = RemsNumber.Create('A', 200_000_000 + i * 13 + k).Value;
            var issued = dayStart + Duration.FromHours(10);
            // The windows are the program's own (ProgramCatalog), not copies of 7 and 30 days.
            var (window, dayOne) = anchor is { } a ? (program.AuthorizationFromLastTest.Value, a) : (program.AuthorizationFromIssue.Value, fillDay);
            var validThrough = window.LastDay(dayOne);
            var expires = window.ClosesAt(dayOne, zone);
            var openToday = last && i % 50 == 25;
            var unused = last && (openToday || i % 20 == 11);
            if (openToday)
            {
                // Issued so that it closes at the end of today.
                validThrough = today;
                expires = zone.AtStartOfDay(today.PlusDays(1)).ToInstant();
                issued = Instant.Min(issued, now - Duration.FromHours(1));
            }

            w.Exec(w.Authorization, authNumber, id, prescriber, program.Id, drug, category.ToString(), 28, Ticks(issued), validThrough.ToDateOnly(),
                Ticks(expires), anchor?.ToDateOnly(), unused ? "Active" : "Dispensed", 1);
            rows++;
            if (unused)
            {
                continue;
            }

            var confNumber = RemsNumber.Create('C', 200_000_000 + i * 13 + k).Value;
            var confirmed = issued + Duration.FromHours(2);
            w.Exec(w.Confirmation, confNumber, authNumber, "phy_demo_main", Ticks(confirmed), Ticks(confirmed + program.ConfirmationValidity.Value), "dispensed", 2);
            w.Exec(w.Dispense, $"dsp_{id}_{k}", confNumber, authNumber, id, "phy_demo_main", ndc, 28, 28, fillDay.ToDateOnly(), Ticks(confirmed + Duration.FromMinutes(10)), "{}");
            rows += 2;
        }

        return rows;
    }

    private static long Ticks(Instant i) => i.ToUnixTimeTicks();

    /// <summary>One prepared insert per table, reused for every row of a transaction.</summary>
    private sealed class Writers(DbConnection connection, DbTransaction tx)
    {
        public DbCommand Patient { get; } = Insert(connection, tx, "patients", "Id", "Name", "DateOfBirth", "Sex", "PrescriberId", "MenstrualPattern", "CreatedAt");

        public DbCommand Enrollment { get; } = Insert(connection, tx, "enrollments", "Id", "PatientId", "ProgramId", "Category", "Status", "EnrolledAt", "TherapyStart", "FactsJson");

        public DbCommand Agreement { get; } = Insert(connection, tx, "agreements", "Id", "EnrollmentId", "SignedBy", "SignerRole", "SignedAt", "TextVersion", "TextSha256", "WitnessedBy");

        public DbCommand Survey { get; } = Insert(connection, tx, "surveys", "Id", "PatientId", "ProgramId", "CompletedAt", "CompletedOn", "AnswersJson", "Outcome");

        public DbCommand Test { get; } = Insert(connection, tx, "pregnancy_tests", "Id", "PatientId", "SpecimenAt", "Result", "SensitivityMiuPerMl", "Setting", "VerifiedBy", "RecordedAt");

        public DbCommand Authorization { get; } = Insert(connection, tx, "authorizations", "Number", "PatientId", "PrescriberId", "ProgramId", "Drug", "Category", "DaysSupply",
            "IssuedAt", "ValidThrough", "ExpiresAt", "AnchorTestDate", "State", "Version");

        public DbCommand Confirmation { get; } = Insert(connection, tx, "confirmations", "Number", "AuthorizationNumber", "PharmacyId", "IssuedAt", "ExpiresAt", "State", "Version");

        public DbCommand Dispense { get; } = Insert(connection, tx, "dispenses", "Id", "ConfirmationNumber", "AuthorizationNumber", "PatientId", "PharmacyId", "Ndc", "Quantity",
            "DaysSupply", "DispensedOn", "At", "ChecklistJson");

        // Synchronous on purpose: the row goes to the page cache, and an async round per row of
        // fifty million cost more than the insert itself.
        public void Exec(DbCommand cmd, params object?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                cmd.Parameters[i].Value = values[i] ?? DBNull.Value;
            }

            cmd.ExecuteNonQuery();
        }

        private static DbCommand Insert(DbConnection connection, DbTransaction tx, string table, params string[] columns)
        {
            var cmd = connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) VALUES ({string.Join(", ", columns.Select((_, i) => $"@p{i}"))})";
            foreach (var (_, i) in columns.Select((c, i) => (c, i)))
            {
                var p = cmd.CreateParameter();
                p.ParameterName = $"@p{i}";
                cmd.Parameters.Add(p);
            }

            return cmd;
        }
    }
}
