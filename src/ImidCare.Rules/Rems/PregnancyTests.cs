using ImidCare.Rules.Programs;
using NodaTime;

namespace ImidCare.Rules.Rems;

public enum TestResult
{
    Negative,
    Positive,
    Indeterminate,
}

public enum TestSetting
{
    Lab,
    Office,
    Home,
}

/// <summary>A pregnancy test as recorded: when the specimen was taken, the result and its sensitivity.</summary>
public sealed record PregnancyTest(Instant SpecimenAt, TestResult Result, int SensitivityMiuPerMl, TestSetting Setting);

public static class PregnancyTestRules
{
    private static readonly RuleSource HomeTests = RuleSource.Verified(
        "lenalidomiderems.com standing modification: home tests allowed with sensitivity ≥ 50 mIU/mL; frequency not waived (addendum §E)", "S");

    /// <summary>The same test as <see cref="Qualifies"/> without building its explanation.</summary>
    internal static bool Counts(PregnancyTest test, ProgramRules program) =>
        test.Result == TestResult.Negative && test.SensitivityMiuPerMl <= program.MinTestSensitivityMiuPerMl.Value;

    /// <summary>Whether one test may count at all: negative, sensitive enough.</summary>
    public static Decision Qualifies(PregnancyTest test, ProgramRules program)
    {
        if (test.Result != TestResult.Negative)
        {
            return Decision.Deny(new Reason("REMS.TEST_NOT_NEGATIVE", $"The test result is {test.Result.ToString().ToLowerInvariant()}, not negative.", program.MinTestSensitivityMiuPerMl.Source));
        }

        if (test.SensitivityMiuPerMl > program.MinTestSensitivityMiuPerMl.Value)
        {
            return Decision.Deny(new Reason(
                "REMS.TEST_NOT_SENSITIVE",
                $"The test detects {test.SensitivityMiuPerMl} mIU/mL; the program needs {program.MinTestSensitivityMiuPerMl.Value} mIU/mL or better.",
                program.MinTestSensitivityMiuPerMl.Source));
        }

        return Decision.Allow(test.Setting == TestSetting.Home
            ? new Reason("REMS.TEST_HOME_ACCEPTED", "A home test is accepted when sensitive enough.", HomeTests)
            : new Reason("REMS.TEST_QUALIFIES", "Negative test of sufficient sensitivity.", program.MinTestSensitivityMiuPerMl.Source));
    }

    /// <summary>
    /// Checks the pre-start tests for the first prescription written at <paramref name="prescribedAt"/>.
    /// Requirements are matched last to first, each to the latest qualifying test earlier than the
    /// one matched after it, so one test never satisfies two requirements.
    /// </summary>
    public static Decision PreStart(IReadOnlyList<PregnancyTest> tests, ProgramRules program, Instant prescribedAt)
    {
        var zone = program.Zone;
        var rxDate = ProgramTime.Today(prescribedAt, zone);
        var usable = tests.Where(t => t.SpecimenAt <= prescribedAt && Counts(t, program))
            .OrderByDescending(t => t.SpecimenAt).ToList();
        var matched = new PregnancyTest?[program.PreStartTests.Length];
        for (var i = program.PreStartTests.Length - 1; i >= 0; i--)
        {
            var requirement = program.PreStartTests[i];
            var next = i + 1 < matched.Length ? matched[i + 1] : null;
            var gapAfter = i + 1 < matched.Length && program.PreStartTests[i + 1] is TestDaysAfterPreviousTest gap ? gap.AtLeastDays : 0;
            var latestDate = next?.SpecimenAt.InZone(zone).Date.PlusDays(-gapAfter);
            matched[i] = usable.FirstOrDefault(t =>
                (next is null || (t.SpecimenAt < next.SpecimenAt && t.SpecimenAt.InZone(zone).Date <= latestDate))
                && Meets(requirement, t, previous: null, rxDate, prescribedAt, zone));
        }

        // A requirement relative to the previous test is checked again once that test is known.
        var reasons = new List<Reason>();
        var failed = false;
        for (var i = 0; i < matched.Length; i++)
        {
            var requirement = program.PreStartTests[i];
            var test = matched[i];
            var previous = i > 0 ? matched[i - 1] : null;
            var ok = test is not null && Meets(requirement, test, previous, rxDate, prescribedAt, zone);
            failed |= !ok;
            reasons.Add(new Reason(
                ok ? $"REMS.{requirement.Code}_MET" : $"REMS.{requirement.Code}_MISSING",
                ok ? $"{requirement.Description} Specimen {Fmt.Date(test!.SpecimenAt.InZone(zone).Date)}." : $"Missing: {requirement.Description}",
                requirement.Source));
        }

        return failed ? Decision.Deny([.. reasons.Where(r => r.Code.EndsWith("_MISSING", StringComparison.Ordinal))]) : Decision.Allow([.. reasons]);
    }

    private static bool Meets(PreStartTest requirement, PregnancyTest test, PregnancyTest? previous, LocalDate rxDate, Instant rxAt, DateTimeZone zone)
    {
        var date = test.SpecimenAt.InZone(zone).Date;
        return requirement switch
        {
            TestDaysBeforeFirstPrescription r => date >= rxDate.PlusDays(-r.FromDaysBefore) && date <= rxDate.PlusDays(-r.ToDaysBefore),
            TestWithinBeforeFirstPrescription r => test.SpecimenAt >= rxAt - r.Within && test.SpecimenAt <= rxAt,
            TestDaysAfterPreviousTest r => previous is null || date >= previous.SpecimenAt.InZone(zone).Date.PlusDays(r.AtLeastDays),
            _ => false,
        };
    }

    /// <summary>The latest negative, sensitive-enough test at or before <paramref name="asOf"/>.</summary>
    public static PregnancyTest? LastQualifying(IEnumerable<PregnancyTest> tests, ProgramRules program, Instant asOf)
    {
        PregnancyTest? last = null;
        foreach (var t in tests)
        {
            if (t.SpecimenAt <= asOf && Counts(t, program) && (last is null || t.SpecimenAt > last.SpecimenAt))
            {
                last = t;
            }
        }

        return last;
    }

    /// <summary>
    /// When the next on-therapy test is due: the last qualifying test's date plus the interval of
    /// the phase that test fell in (weekly in the first weeks, then every 4 or 2 weeks). Before
    /// therapy starts, the pre-start tests are what is due, and this returns null.
    /// </summary>
    public static NextTest? NextDue(IEnumerable<PregnancyTest> tests, ProgramRules program, LocalDate? therapyStart, MenstrualPattern pattern, Instant now)
    {
        if (therapyStart is null)
        {
            return null;
        }

        var zone = program.Zone;
        var last = LastQualifying(tests, program, now);
        var lastDate = last?.SpecimenAt.InZone(zone).Date ?? therapyStart.Value;
        var interval = program.OnTherapyTests.IntervalAt(lastDate, therapyStart.Value, pattern);
        var due = lastDate.PlusDays(interval);
        return new NextTest(due, due < ProgramTime.Today(now, zone), interval, program.OnTherapyTests.Source);
    }
}

public sealed record NextTest(LocalDate DueOn, bool Overdue, int IntervalDays, RuleSource Source);
