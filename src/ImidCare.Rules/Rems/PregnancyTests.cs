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

    /// <summary>How far ahead <see cref="FirstPrescriptionUntil"/> looks: beyond every pre-start window.</summary>
    public static readonly Duration FirstPrescriptionHorizon = Duration.FromDays(31);

    /// <summary>
    /// The last moment (exact, to the nanosecond) at which the tests on file support a first prescription, or
    /// null when they do not support one now: the pre-start tests (the second within 24 hours, for
    /// example) and the program's window from the last test, the two checks a first authorization
    /// makes of the tests. Each requirement can only lapse as time passes (a test grows too old;
    /// none becomes valid again once the first prescription may be written), so the moment is
    /// found by halving the interval to the horizon.
    /// </summary>
    public static Instant? FirstPrescriptionUntil(IReadOnlyList<PregnancyTest> tests, ProgramRules program, Instant now)
    {
        bool Supported(Instant at) =>
            PreStart(tests, program, at).IsAllowed
            && LastQualifying(tests, program, at) is { } last
            && ProgramTime.Today(at, program.Zone) <= program.AuthorizationFromLastTest.Value.LastDay(last.SpecimenAt.InZone(program.Zone).Date);

        if (!Supported(now))
        {
            return null;
        }

        var (ok, lapsed) = (now, now + FirstPrescriptionHorizon);
        if (Supported(lapsed))
        {
            return lapsed;
        }

        // About 52 halvings of a month in nanoseconds: a few dozen checks of a handful of tests.
        while (lapsed - ok > Duration.Epsilon)
        {
            var mid = ok + ((lapsed - ok) / 2);
            (ok, lapsed) = Supported(mid) ? (mid, lapsed) : (ok, mid);
        }

        return ok;
    }

    /// <summary>
    /// Checks the pre-start tests for the first prescription written at <paramref name="prescribedAt"/>.
    /// Requirements are matched last to first, each to the latest qualifying test earlier than the
    /// one matched after it, so one test never satisfies two requirements.
    /// </summary>
    public static Decision PreStart(IReadOnlyList<PregnancyTest> tests, ProgramRules program, Instant prescribedAt)
    {
        var b = new DecisionBuilder();
        var buffer = default(SmallBuffer<DatedTest>);
        var counting = CountingAt(tests, program, prescribedAt, tests.Count <= SmallBuffer<DatedTest>.Length ? buffer : new DatedTest[tests.Count]);
        AddPreStart(b, counting, program, ProgramTime.Today(prescribedAt, program.Zone), prescribedAt, passes: true);
        return b.Build();
    }

    /// <summary>
    /// The tests that count at <paramref name="asOf"/> (negative, sensitive enough, taken by then),
    /// latest first (ties in list order, as <see cref="LastQualifying"/> picks), each with its
    /// specimen date in the program's zone, written into <paramref name="into"/> (at least as long
    /// as the list). A stable insertion sort: there are a handful. Each date is converted once here
    /// because the zone conversions were a large part of a decision on the prescriber's path.
    /// </summary>
    internal static Span<DatedTest> CountingAt(IReadOnlyList<PregnancyTest> tests, ProgramRules program, Instant asOf, Span<DatedTest> into)
    {
        var zone = program.Zone;
        var n = 0;
        for (var index = 0; index < tests.Count; index++)
        {
            var t = tests[index];
            if (t.SpecimenAt > asOf || !Counts(t, program))
            {
                continue;
            }

            var j = n++;
            while (j > 0 && into[j - 1].Test.SpecimenAt < t.SpecimenAt)
            {
                into[j] = into[j - 1];
                j--;
            }

            into[j] = new DatedTest(t, t.SpecimenAt.InZone(zone).Date);
        }

        return into[..n];
    }

    /// <summary>
    /// The pre-start check written straight into a decision being built, on the tests that count at
    /// <paramref name="prescribedAt"/> (<see cref="CountingAt"/>); false when a test is missing.
    /// With <paramref name="passes"/> false only the missing tests are written (the authorization
    /// then names the test it rests on instead).
    /// </summary>
    internal static bool AddPreStart(DecisionBuilder b, ReadOnlySpan<DatedTest> usable, ProgramRules program, LocalDate rxDate, Instant prescribedAt, bool passes)
    {
        // Indexes into usable, on the stack without stackalloc: a method with stackalloc is compiled
        // once, without the runtime's profile-guided second pass.
        var rxDay = DatedTest.DayNumber(rxDate);
        var requirements = program.PreStartTests;
        var buffer = default(SmallBuffer<int>);
        Span<int> matched = requirements.Length <= SmallBuffer<int>.Length ? buffer[..requirements.Length] : new int[requirements.Length];
        for (var i = requirements.Length - 1; i >= 0; i--)
        {
            var next = i + 1 < matched.Length ? matched[i + 1] : -1;
            var gapAfter = i + 1 < matched.Length && requirements[i + 1] is TestDaysAfterPreviousTest gap ? gap.AtLeastDays : 0;
            var latestDay = next < 0 ? 0 : usable[next].Day - gapAfter;
            matched[i] = -1;
            for (var k = 0; k < usable.Length; k++)
            {
                if ((next < 0 || (usable[k].Test.SpecimenAt < usable[next].Test.SpecimenAt && usable[k].Day <= latestDay))
                    && Meets(requirements[i], usable[k], previousDay: null, rxDay, prescribedAt))
                {
                    matched[i] = k;
                    break;
                }
            }
        }

        // A requirement relative to the previous test is checked again once that test is known.
        var ok = true;
        for (var i = 0; i < matched.Length; i++)
        {
            var requirement = requirements[i];
            var k = matched[i];
            var previousDay = i > 0 && matched[i - 1] >= 0 ? usable[matched[i - 1]].Day : (int?)null;
            if (k >= 0 && Meets(requirement, usable[k], previousDay, rxDay, prescribedAt))
            {
                if (passes)
                {
                    b.Pass(new Reason(requirement.MetCode, $"{requirement.Description} Specimen {Fmt.Iso(usable[k].Date)}.", requirement.Source));
                }
            }
            else
            {
                b.Deny(new Reason(requirement.MissingCode, requirement.MissingMessage, requirement.Source));
                ok = false;
            }
        }

        return ok;
    }

    /// <summary>Whether the test meets the requirement; dates as day numbers (<see cref="DatedTest.Day"/>).</summary>
    private static bool Meets(PreStartTest requirement, DatedTest test, int? previousDay, int rxDay, Instant rxAt) =>
        requirement switch
        {
            TestDaysBeforeFirstPrescription r => test.Day >= rxDay - r.FromDaysBefore && test.Day <= rxDay - r.ToDaysBefore,
            TestWithinBeforeFirstPrescription r => test.Test.SpecimenAt >= rxAt - r.Within && test.Test.SpecimenAt <= rxAt,
            TestDaysAfterPreviousTest r => previousDay is null || test.Day >= previousDay.Value + r.AtLeastDays,
            _ => false,
        };

    /// <summary>
    /// Whether a hold's "negative pregnancy test after the hold began" is met: a test that counts
    /// (negative and sensitive enough, as every other REMS test) with its specimen taken after
    /// <paramref name="holdOpenedAt"/> and by <paramref name="asOf"/>.
    /// </summary>
    public static bool CountingTestAfter(IEnumerable<PregnancyTest> tests, ProgramRules program, Instant holdOpenedAt, Instant asOf) =>
        tests.Any(t => t.SpecimenAt > holdOpenedAt && t.SpecimenAt <= asOf && Counts(t, program));

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

/// <summary>A test with its specimen date in the program's zone.</summary>
internal readonly record struct DatedTest(PregnancyTest Test, LocalDate Date)
{
    /// <summary>
    /// The date as a day number (ISO), for the pre-start matcher's arithmetic: NodaTime's PlusDays
    /// and date comparisons go through the calendar's virtual methods, and were a tenth of a
    /// first-prescription decision. Counted by NodaTime from its epoch rather than through
    /// DateOnly, which stops at year 1 where a hostile or mistyped specimen date need not.
    /// </summary>
    public int Day { get; } = DayNumber(Date);

    private static readonly LocalDate Epoch = new(1970, 1, 1);

    public static int DayNumber(LocalDate date) => Period.DaysBetween(Epoch, date);
}

/// <summary>
/// A few values on the stack for the decisions' scratch work (the handful of tests a patient has),
/// used instead of stackalloc, which also cannot hold references.
/// </summary>
[System.Runtime.CompilerServices.InlineArray(Length)]
internal struct SmallBuffer<T>
{
    public const int Length = 8;

    private T first;
}
