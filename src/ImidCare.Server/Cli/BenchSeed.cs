using System.CommandLine;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Hosting;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Store;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Cli;

/// <summary>
/// `imidcare bench-seed`: load-test data — N enrolled adult male lenalidomide patients of the demo
/// prescriber, each with one live authorization — written through the write gate (so audited), and
/// the authorization numbers to a file for the load scripts. Needs the demo data (run `seed` first).
/// </summary>
public static class BenchSeed
{
    public static Command Command()
    {
        var provider = new Option<string>("--provider") { DefaultValueFactory = _ => "sqlite" };
        var connection = new Option<string?>("--connection");
        var count = new Option<int>("--authorizations") { Description = "How many patients with a live authorization.", DefaultValueFactory = _ => 10_000 };
        var output = new Option<FileInfo?>("--out") { Description = "File to write the authorization numbers to, one a line." };
        var history = new Option<int>("--patients") { Description = "Also load this many enrolled patients with a year of history each (scale data for the compliance sweep).", DefaultValueFactory = _ => 0 };
        var refills = new Option<bool>("--refills")
        {
            Description = "Give each patient an earlier fill, so the live authorization is for a refill (therapy started, 2 days of it left) rather than a first fill.",
        };
        var command = new Command("bench-seed", "Seed load-test patients with live authorizations (after `seed`).") { provider, connection, count, output, history, refills };
        command.SetAction(async (r, ct) =>
        {
            await using var sp = Commands.Open(r.GetValue(provider)!, r.GetValue(connection));
            await ServerApp.PrepareAsync(sp, demo: true, ct);
            var numbers = new List<string>();
            var gate = sp.GetRequiredService<WriteGate>();
            var total = r.GetValue(count);

            // Run again on the same database (a soak after a load run), it adds fresh patients after the earlier ones.
            int offset;
            await using (var db = await sp.GetRequiredService<IDbContextFactory<ImidCareDb>>().CreateDbContextAsync(ct))
            {
                offset = await db.Patients.CountAsync(p => p.Id.StartsWith("pat_bench_"), ct);
            }

            for (var start = offset; start < offset + total; start += 2_000)
            {
                var batch = Math.Min(2_000, offset + total - start);
                numbers.AddRange(await gate.RunAsync((db, audit, now) => Task.FromResult(Batch(db, audit, now, start, batch, r.GetValue(refills))), ct));
            }

            if (r.GetValue(output) is { } file)
            {
                await File.WriteAllLinesAsync(file.FullName, numbers, ct);
                Console.WriteLine($"{numbers.Count} live authorizations written to {file.FullName}.");
            }

            if (r.GetValue(history) is var patients and > 0)
            {
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var rows = await HistorySeed.RunAsync(sp, patients, sp.GetRequiredService<IClock>().GetCurrentInstant(), ct);
                Console.WriteLine($"{patients:N0} patients with a year of history: {rows:N0} rows in {watch.Elapsed.TotalSeconds:F0} s.");
            }

            return 0;
        });
        return command;
    }

    // An earlier fill's age: a 28-day supply dispensed this many days ago leaves 2 days, inside every program's refill window.
    private const int EarlierFillDaysAgo = 26;

    private static List<string> Batch(ImidCareDb db, AuditWriter audit, Instant now, int start, int count, bool refills)
    {
        var program = ProgramCatalog.Lenalidomide;
        var numbers = new List<string>(count);
        var seed = new Actor("bench-seed", "system");

        // Every authorization of the batch is issued now: one window for all of them.
        var window = program.AuthorizationFromIssue.Value;
        var dayOne = now.InZone(program.Zone).Date;
        var validThrough = window.LastDay(dayOne);
        var expiresAt = window.ClosesAt(dayOne, program.Zone);
        for (var i = start; i < start + count; i++)
        {
            var id = $"pat_bench_{i:D7}";
            var number = RemsNumber.Create('A', 500_000_000 + i).Value;
            db.Patients.Add(new Patient { Id = id, Name = $"Bench Patient {i}", DateOfBirth = new LocalDate(1960, 1, 1), Sex = "Male", PrescriberId = "prs_demo_park", MenstrualPattern = "None", CreatedAt = now });
            var enrollment = new Enrollment { Id = $"enr_{id}", PatientId = id, ProgramId = program.Id, Category = nameof(RiskCategory.AdultMale), Status = nameof(EnrollmentStatus.Enrolled), EnrolledAt = now, FactsJson = "{}" };
            db.Enrollments.Add(enrollment);
            if (refills)
            {
                EarlierFill(db, program, enrollment, now, i);
            }

            db.Agreements.Add(new Agreement { Id = $"agr_{id}", EnrollmentId = $"enr_{id}", SignedBy = $"Bench Patient {i}", SignerRole = "patient", SignedAt = now, TextVersion = program.AgreementTextVersion, TextSha256 = AgreementTexts.Sha256(program), WitnessedBy = "prs_demo_park" });
            db.Authorizations.Add(new AuthorizationRecord
            {
                Number = number, PatientId = id, PrescriberId = "prs_demo_park", ProgramId = program.Id, Drug = "lenalidomide", Category = nameof(RiskCategory.AdultMale),
                DaysSupply = 28, IssuedAt = now, ValidThrough = validThrough, ExpiresAt = expiresAt,
                State = nameof(AuthorizationState.Active), Version = 1,
            });
            numbers.Add(number);
        }

        audit.Append(seed, "bench.seeded", "system/bench", audit.Data(new { from = start, count, refills }));
        return numbers;
    }

    // A real counter mostly refills: the therapy has started (a dispense leaves the enrollment's
    // row alone) and the early-fill rule reads a previous dispense. Numbers of their own ranges
    // (700,000,000 up): the live authorizations use 500,000,000 up, and confirmations issued
    // under load count up from below 100,000,000 (docs/rems-rules.md "Numbers").
    private static void EarlierFill(ImidCareDb db, ProgramRules program, Enrollment enrollment, Instant now, int i)
    {
        var issued = now - Duration.FromDays(EarlierFillDaysAgo + 1);
        var window = program.AuthorizationFromIssue.Value;
        var issuedOn = issued.InZone(program.Zone).Date;
        var filledAt = now - Duration.FromDays(EarlierFillDaysAgo);
        var filledOn = filledAt.InZone(program.Zone).Date;
        var authorization = RemsNumber.Create('A', 700_000_000 + i).Value;
        var confirmation = RemsNumber.Create('C', 700_000_000 + i).Value;
        enrollment.EnrolledAt = issued - Duration.FromDays(1);
        enrollment.TherapyStart = filledOn;
        db.Authorizations.Add(new AuthorizationRecord
        {
            Number = authorization, PatientId = enrollment.PatientId, PrescriberId = "prs_demo_park", ProgramId = program.Id, Drug = "lenalidomide", Category = enrollment.Category,
            DaysSupply = 28, IssuedAt = issued, ValidThrough = window.LastDay(issuedOn), ExpiresAt = window.ClosesAt(issuedOn, program.Zone),
            State = nameof(AuthorizationState.Dispensed), Version = 3,
        });
        db.Confirmations.Add(new ConfirmationRecord
        {
            Number = confirmation, AuthorizationNumber = authorization, PharmacyId = "phy_demo_main", IssuedAt = filledAt, ExpiresAt = filledAt + program.ConfirmationValidity.Value,
            State = "dispensed", Version = 2,
        });
        db.Dispenses.Add(new DispenseRecord
        {
            Id = $"dsp_{enrollment.PatientId}_0", ConfirmationNumber = confirmation, AuthorizationNumber = authorization, PatientId = enrollment.PatientId, PharmacyId = "phy_demo_main",
            Ndc = "59572041028", Quantity = 28, DaysSupply = 28, DispensedOn = filledOn, At = filledAt, ChecklistJson = "{}",
        });

        // A refill needs the month's mandatory survey, done before the confirmation: this morning's.
        var surveyed = now - Duration.FromHours(1);
        db.Surveys.Add(new SurveyRecord
        {
            Id = $"srv_{enrollment.PatientId}_1", PatientId = enrollment.PatientId, ProgramId = program.Id, CompletedAt = surveyed,
            CompletedOn = surveyed.InZone(program.Zone).Date, AnswersJson = "{}", Outcome = nameof(ImidCare.Rules.Outcome.Allowed),
        });
    }
}
