using System.Diagnostics;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Store;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Admin;

public sealed record LateTest(string PatientId, string Program, LocalDate DueOn, LocalDate? LastTest);

public sealed record OverdueSurvey(string PatientId, string Program, LocalDate? LastSurvey);

public sealed record ExpiringAuthorization(string Number, string PatientId, string Program, Instant ExpiresAt);

/// <summary>Who is late, as of <see cref="At"/>; lists are capped at <see cref="ListLimit"/>, counts are whole.</summary>
public sealed record ComplianceReport(
    Instant At,
    int PatientsSwept,
    int LateTestCount,
    int OverdueSurveyCount,
    int ExpiringTodayCount,
    int OnHoldCount,
    IReadOnlyList<LateTest> LateTests,
    IReadOnlyList<OverdueSurvey> OverdueSurveys,
    IReadOnlyList<ExpiringAuthorization> ExpiringToday,
    double Seconds)
{
    public const int ListLimit = 500;
}

/// <summary>
/// The program's daily sweep: late pregnancy tests, overdue patient surveys, authorizations that
/// expire today. A handful of grouped queries (one row per patient each), then every patient is
/// judged by the same rule functions the counter uses — no per-patient round trips, so it scales
/// with rows, not with queries.
/// </summary>
public static class ComplianceSweep
{
    public static async Task<ComplianceReport> RunAsync(ImidCareDb db, Instant now, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        // The last test that counts, per patient, for each sensitivity a program asks (a negative
        // test that is not sensitive enough counts for nothing, facts §4.1): one grouped query each.
        var lastTestsBySensitivity = new Dictionary<int, Dictionary<string, Instant>>();
        foreach (var sensitivity in ProgramCatalog.All.Select(p => p.MinTestSensitivityMiuPerMl.Value).Distinct())
        {
            lastTestsBySensitivity[sensitivity] = await db.PregnancyTests.AsNoTracking()
                .Where(t => t.Result == nameof(TestResult.Negative) && t.SpecimenAt <= now && t.SensitivityMiuPerMl <= sensitivity)
                .GroupBy(t => t.PatientId)
                .Select(g => new { g.Key, Last = g.Max(t => t.SpecimenAt) })
                .ToDictionaryAsync(x => x.Key, x => x.Last, ct);
        }

        var lastSurveys = await db.Surveys.AsNoTracking().GroupBy(s => s.PatientId)
            .Select(g => new { g.Key, Last = g.Max(s => s.CompletedOn) })
            .ToDictionaryAsync(x => x.Key, x => x.Last, ct);
        var onHold = await db.Holds.AsNoTracking().Where(h => h.ClearedAt == null).Select(h => h.PatientId).Distinct().CountAsync(ct);

        var late = new List<LateTest>();
        var overdue = new List<OverdueSurvey>();
        int lateCount = 0, overdueCount = 0, swept = 0;
        var rows = db.Enrollments.AsNoTracking().Where(e => e.Status == nameof(EnrollmentStatus.Enrolled))
            .Join(db.Patients.AsNoTracking(), e => e.PatientId, p => p.Id, (e, p) => new { e.PatientId, e.ProgramId, e.Category, e.TherapyStart, p.MenstrualPattern })
            .AsAsyncEnumerable();
        await foreach (var r in rows.WithCancellation(ct))
        {
            swept++;
            if (ProgramCatalog.Find(r.ProgramId) is not { } program)
            {
                continue;
            }

            var category = Enum.Parse<RiskCategory>(r.Category);
            var today = ProgramTime.Today(now, program.Zone);
            if (category.CanGetPregnant() && r.TherapyStart is { } start)
            {
                PregnancyTest[] last = lastTestsBySensitivity[program.MinTestSensitivityMiuPerMl.Value].TryGetValue(r.PatientId, out var at)
                    ? [new PregnancyTest(at, TestResult.Negative, program.MinTestSensitivityMiuPerMl.Value, TestSetting.Lab)]
                    : [];
                var next = PregnancyTestRules.NextDue(last, program, start, Enum.Parse<MenstrualPattern>(r.MenstrualPattern), now);
                if (next is { Overdue: true })
                {
                    lateCount++;
                    if (late.Count < ComplianceReport.ListLimit)
                    {
                        late.Add(new LateTest(r.PatientId, program.Id, next.DueOn, last.Length > 0 ? at.InZone(program.Zone).Date : null));
                    }
                }
            }

            // Surveys matter once treatment has begun (none is owed before the first prescription),
            // in this program: a fill in another program is another program's record, as at the
            // counter (FactsQuery). The enrollment's therapy start is that program's first fill,
            // set in the same transaction as every dispense (CounterSql), so no pass over the
            // dispenses is needed to know it.
            var first = r.TherapyStart is null;
            LocalDate? lastSurvey = lastSurveys.TryGetValue(r.PatientId, out var s) ? s : null;
            if (!first && !SurveyRules.PatientSurveyCurrent(program, category, first, lastSurvey, today).IsAllowed)
            {
                overdueCount++;
                if (overdue.Count < ComplianceReport.ListLimit)
                {
                    overdue.Add(new OverdueSurvey(r.PatientId, program.Id, lastSurvey));
                }
            }
        }

        // "Expires today" in the programs' zone (all programs share America/New_York today; each is asked anyway).
        var endOfToday = ProgramCatalog.All.Select(p => p.Zone.AtStartOfDay(ProgramTime.Today(now, p.Zone).PlusDays(1)).ToInstant()).Max();
        var expiring = db.Authorizations.AsNoTracking()
            .Where(a => a.State == nameof(AuthorizationState.Active) && a.ExpiresAt > now && a.ExpiresAt <= endOfToday);
        var expiringCount = await expiring.CountAsync(ct);
        var expiringList = await expiring.OrderBy(a => a.ExpiresAt).Take(ComplianceReport.ListLimit)
            .Select(a => new ExpiringAuthorization(a.Number, a.PatientId, a.ProgramId, a.ExpiresAt)).ToListAsync(ct);
        return new ComplianceReport(now, swept, lateCount, overdueCount, expiringCount, onHold, late, overdue, expiringList, clock.Elapsed.TotalSeconds);
    }
}
