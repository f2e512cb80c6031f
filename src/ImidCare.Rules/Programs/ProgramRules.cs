using System.Collections.Immutable;
using ImidCare.Rules.Rems;
using NodaTime;

namespace ImidCare.Rules.Programs;

/// <summary>A parameter of a program together with where it comes from.</summary>
public sealed record Sourced<T>(T Value, RuleSource Source);

/// <summary>One pregnancy test a patient who can get pregnant needs before the first prescription.</summary>
public abstract record PreStartTest(string Code, string Description, RuleSource Source)
{
    /// <summary>The reason codes, built once: they sit on the prescriber's authorization path.</summary>
    public string MetCode { get; } = "REMS." + Code + "_MET";

    public string MissingCode { get; } = "REMS." + Code + "_MISSING";

    public string MissingMessage { get; } = "Missing: " + Description;
}

/// <summary>A test whose specimen date lies from <see cref="FromDaysBefore"/> to <see cref="ToDaysBefore"/> days before the first prescription date.</summary>
public sealed record TestDaysBeforeFirstPrescription(int FromDaysBefore, int ToDaysBefore, string Code, string Description, RuleSource Source)
    : PreStartTest(Code, Description, Source);

/// <summary>A test whose specimen was taken no earlier than <see cref="Within"/> before the prescription is written.</summary>
public sealed record TestWithinBeforeFirstPrescription(Duration Within, string Code, string Description, RuleSource Source)
    : PreStartTest(Code, Description, Source);

/// <summary>A test whose specimen date is at least <see cref="AtLeastDays"/> days after the previous required test.</summary>
public sealed record TestDaysAfterPreviousTest(int AtLeastDays, string Code, string Description, RuleSource Source)
    : PreStartTest(Code, Description, Source);

public enum MenstrualPattern
{
    Regular,
    Irregular,
    None,
}

/// <summary>
/// The on-therapy pregnancy-test schedule: an initial phase (every <see cref="InitialEveryDays"/>
/// days for <see cref="InitialDays"/> days from the start of therapy), then a regular interval
/// that may depend on the menstrual pattern. The same schedule runs through dose interruptions.
/// </summary>
public sealed record TestSchedule(
    int InitialEveryDays,
    int InitialDays,
    int ThenEveryDaysRegularOrNone,
    int ThenEveryDaysIrregular,
    RuleSource Source)
{
    public int IntervalAt(LocalDate testDate, LocalDate therapyStart, MenstrualPattern pattern) =>
        testDate < therapyStart.PlusDays(InitialDays)
            ? InitialEveryDays
            : pattern == MenstrualPattern.Irregular ? ThenEveryDaysIrregular : ThenEveryDaysRegularOrNone;
}

/// <summary>How often a patient of a category takes the patient survey; null period means never.</summary>
public sealed record SurveyCadence(Period? Every, RuleSource Source);

/// <summary>
/// iPLEDGE's lockout: after a patient who can get pregnant misses the window a test opened, the
/// next qualifying test must be taken at least <see cref="AtLeastDaysAfterMissedTest"/> days after it.
/// Switchable, because the 2026 modification removes it.
/// </summary>
public sealed record LockoutRule(bool Enabled, int AtLeastDaysAfterMissedTest, RuleSource Source);

/// <summary>
/// A REMS program as data: everything the engine needs to decide, each value with its source.
/// Versioned: <see cref="Version"/> and <see cref="EffectiveFrom"/> say which rule set a decision used.
/// </summary>
public sealed record ProgramRules
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string Version { get; init; }

    public required LocalDate EffectiveFrom { get; init; }

    /// <summary>The zone whose midnight ends a day-counted window.</summary>
    public required Sourced<string> TimeZoneId { get; init; }

    /// <summary>Generic drug names this program covers (lower case).</summary>
    public required ImmutableArray<string> Drugs { get; init; }

    public required Sourced<CategoryScheme> Categories { get; init; }

    public required Sourced<int> AdultAgeYears { get; init; }

    public required Sourced<int> MaxDaysSupply { get; init; }

    public required Sourced<int> MaxRefills { get; init; }

    public required Sourced<int> MinTestSensitivityMiuPerMl { get; init; }

    public required ImmutableArray<PreStartTest> PreStartTests { get; init; }

    public required TestSchedule OnTherapyTests { get; init; }

    public required ImmutableDictionary<RiskCategory, SurveyCadence> PatientSurveys { get; init; }

    public required Sourced<bool> PatientSurveyBeforeFirstPrescription { get; init; }

    /// <summary>
    /// The categories for which a program text states <see cref="PatientSurveyBeforeFirstPrescription"/>
    /// itself, with that text; every other category rests on the general source.
    /// </summary>
    public ImmutableDictionary<RiskCategory, RuleSource> PatientSurveyBeforeFirstPrescriptionStated { get; init; } = ImmutableDictionary<RiskCategory, RuleSource>.Empty;

    /// <summary>Where the first-prescription survey rule comes from for <paramref name="category"/>.</summary>
    public RuleSource PatientSurveyBeforeFirstPrescriptionSource(RiskCategory category) =>
        PatientSurveyBeforeFirstPrescriptionStated.TryGetValue(category, out var stated) ? stated : PatientSurveyBeforeFirstPrescription.Source;

    /// <summary>Authorization validity for patients who can get pregnant, Day 1 = last negative test's specimen date.</summary>
    public required Sourced<DayWindow> AuthorizationFromLastTest { get; init; }

    /// <summary>Authorization validity for everyone else, Day 1 = the date it is issued.</summary>
    public required Sourced<DayWindow> AuthorizationFromIssue { get; init; }

    public required Sourced<Duration> ConfirmationValidity { get; init; }

    /// <summary>A later fill is confirmed only when at most this many days of therapy remain.</summary>
    public required Sourced<int> NextFillWhenDaysRemainAtMost { get; init; }

    public required LockoutRule Lockout { get; init; }

    /// <summary>Version of the Patient-Physician Agreement text patients sign.</summary>
    public required string AgreementTextVersion { get; init; }

    private DateTimeZone? zone;

    // Cached, but checked against the id: `with { TimeZoneId = ... }` copies the cached field.
    public DateTimeZone Zone => zone is { } z && z.Id == TimeZoneId.Value ? z : zone = DateTimeZoneProviders.Tzdb[TimeZoneId.Value];

    public bool Covers(string drug) => DrugIndex(drug) >= 0;

    /// <summary>The position of the drug in <see cref="Drugs"/> (trimmed, any case), or -1; without allocating, as it runs in every decision.</summary>
    public int DrugIndex(string drug)
    {
        var name = drug.AsSpan().Trim();
        for (var i = 0; i < Drugs.Length; i++)
        {
            // The exact name first: callers send the program's own lower-case names, and the
            // case-blind comparison costs several times more.
            if (name.SequenceEqual(Drugs[i]) || name.Equals(Drugs[i], StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private Rems.ProgramReasons? reasons;

    // Built for this instance only: `with` copies the field, and a copy with other parameters must not reuse it.
    internal Rems.ProgramReasons Reasons => reasons is { } r && ReferenceEquals(r.Program, this) ? r : reasons = new Rems.ProgramReasons(this);

    /// <summary>Every sourced parameter by name, for `programs show` and the API.</summary>
    public IEnumerable<(string Name, object? Value, RuleSource Source)> Parameters()
    {
        yield return ("timeZone", TimeZoneId.Value, TimeZoneId.Source);
        yield return ("categoryScheme", Categories.Value, Categories.Source);
        yield return ("adultAgeYears", AdultAgeYears.Value, AdultAgeYears.Source);
        yield return ("maxDaysSupply", MaxDaysSupply.Value, MaxDaysSupply.Source);
        yield return ("maxRefills", MaxRefills.Value, MaxRefills.Source);
        yield return ("minTestSensitivityMiuPerMl", MinTestSensitivityMiuPerMl.Value, MinTestSensitivityMiuPerMl.Source);
        foreach (var t in PreStartTests)
        {
            yield return ($"preStartTest:{t.Code}", t.Description, t.Source);
        }

        var s = OnTherapyTests;
        yield return ("onTherapyTests", $"every {s.InitialEveryDays} days for the first {s.InitialDays} days, then every {s.ThenEveryDaysRegularOrNone} days (regular or no cycles) / {s.ThenEveryDaysIrregular} days (irregular cycles)", s.Source);
        foreach (var (category, cadence) in PatientSurveys.OrderBy(p => p.Key))
        {
            yield return ($"patientSurvey:{category}", cadence.Every?.ToString() ?? "none", cadence.Source);
        }

        yield return ("patientSurveyBeforeFirstPrescription", PatientSurveyBeforeFirstPrescription.Value, PatientSurveyBeforeFirstPrescription.Source);
        foreach (var (category, source) in PatientSurveyBeforeFirstPrescriptionStated.OrderBy(p => p.Key))
        {
            yield return ($"patientSurveyBeforeFirstPrescription:{category}", PatientSurveyBeforeFirstPrescription.Value, source);
        }

        yield return ("authorizationValidityFromLastTestDays", AuthorizationFromLastTest.Value.Days, AuthorizationFromLastTest.Source);
        yield return ("authorizationValidityFromIssueDays", AuthorizationFromIssue.Value.Days, AuthorizationFromIssue.Source);
        yield return ("confirmationValidityHours", ConfirmationValidity.Value.TotalHours, ConfirmationValidity.Source);
        yield return ("nextFillWhenDaysRemainAtMost", NextFillWhenDaysRemainAtMost.Value, NextFillWhenDaysRemainAtMost.Source);
        yield return ("lockout", Lockout.Enabled ? $"{Lockout.AtLeastDaysAfterMissedTest} days" : "off", Lockout.Source);
    }
}
