using ImidCare.Rules.Programs;
using NodaTime;

namespace ImidCare.Rules.Rems;

/// <summary>
/// The reasons a program's decisions give that depend on nothing but the program, made once per
/// program instead of once per decision (the decisions run on every pharmacy counter call).
/// </summary>
internal sealed class ProgramReasons(ProgramRules program)
{
    public ProgramRules Program { get; } = program;

    /// <summary>"REMS.DRUG_IN_PROGRAM", one per entry of <see cref="ProgramRules.Drugs"/>, named as the program names it.</summary>
    public Reason[] Covered { get; } =
        [.. program.Drugs.Select(d => new Reason("REMS.DRUG_IN_PROGRAM", $"{d} is covered by the {program.Name}.", program.Categories.Source))];

    private readonly Reason[] surveyNotNeededFirstRx =
        [.. Enum.GetValues<RiskCategory>().Select(c => new Reason("REMS.SURVEY_NOT_NEEDED_FIRST_RX", "No patient survey is needed for the first prescription.",
            program.PatientSurveyBeforeFirstPrescriptionSource(c)))];

    /// <summary>"REMS.SURVEY_NOT_NEEDED_FIRST_RX" for a category, with the source that states it for that category.</summary>
    public Reason SurveyNotNeededFirstRx(RiskCategory category) => surveyNotNeededFirstRx[(int)category];

    public Reason FirstFill { get; } = new("REMS.FIRST_FILL", "No earlier fill on record.", program.NextFillWhenDaysRemainAtMost.Source);

    /// <summary>"REMS.DAYS_SUPPLY_OK" for each days supply the program allows (index = days; 0 unused).</summary>
    public Reason[] DaysSupplyOk { get; } =
        [.. Enumerable.Range(0, program.MaxDaysSupply.Value + 1).Select(d => new Reason("REMS.DAYS_SUPPLY_OK", $"{d} days supply.", program.MaxDaysSupply.Source))];

    public Reason NoRefills { get; } = new("REMS.NO_REFILLS", "No refills.", program.MaxRefills.Source);

    // The fixed parts of the validity sentence, around its dates (Fmt.Join):
    // "Valid {days} days from issue: through {end} ({zone})." and
    // "Valid {days} days from the last negative test ({day one} is day 1): through {end} ({zone})."
    private readonly string validFromIssue = $"Valid {program.AuthorizationFromIssue.Value.Days} days from issue: through ";

    private readonly string validFromLastTest = $"Valid {program.AuthorizationFromLastTest.Value.Days} days from the last negative test (";

    private readonly string validZone = $" ({program.Zone.Id}).";

    // A handful of slots per window kind, on the day of the month: the dates in use on one day are
    // today (every patient who cannot get pregnant) and the last tests' dates (those who can), all
    // within a week, so consecutive dates never share a slot.
    private readonly AuthorizationWindow?[] fromIssue = new AuthorizationWindow?[16];
    private readonly AuthorizationWindow?[] fromLastTest = new AuthorizationWindow?[16];

    /// <summary>The window of an authorization issued on <paramref name="today"/> to a patient who cannot get pregnant.</summary>
    public AuthorizationWindow FromIssue(LocalDate today) => Lookup(fromIssue, today) ?? Keep(fromIssue, NewFromIssue(today));

    /// <summary>The window of an authorization resting on a negative test taken on <paramref name="testDate"/>.</summary>
    public AuthorizationWindow FromLastTest(LocalDate testDate) => Lookup(fromLastTest, testDate) ?? Keep(fromLastTest, NewFromLastTest(testDate));

    private AuthorizationWindow NewFromIssue(LocalDate today)
    {
        var window = Program.AuthorizationFromIssue;
        var lastDay = window.Value.LastDay(today);
        return new(today, lastDay, window.Value.ClosesAt(today, Program.Zone),
            new Reason("REMS.AUTHORIZATION_VALIDITY", Fmt.Join(validFromIssue, lastDay, validZone), window.Source), TestCurrent: null);
    }

    private AuthorizationWindow NewFromLastTest(LocalDate testDate)
    {
        var window = Program.AuthorizationFromLastTest;
        var lastDay = window.Value.LastDay(testDate);
        return new(testDate, lastDay, window.Value.ClosesAt(testDate, Program.Zone),
            new Reason("REMS.AUTHORIZATION_VALIDITY", Fmt.Join(validFromLastTest, testDate, " is day 1): through ", lastDay, validZone), window.Source),
            new Reason("REMS.PREGNANCY_TEST_CURRENT", Fmt.Join("Negative test on ", testDate, "."), AuthorizationRules.VerifyTests));
    }

    // A slot holds an immutable entry, so threads racing on a slot at worst build the same entry twice.
    private static AuthorizationWindow? Lookup(AuthorizationWindow?[] slots, LocalDate dayOne) =>
        slots[dayOne.Day & 15] is { } w && w.DayOne == dayOne ? w : null;

    private static AuthorizationWindow Keep(AuthorizationWindow?[] slots, AuthorizationWindow w) => slots[w.DayOne.Day & 15] = w;
}

/// <summary>
/// An authorization window of a program from one day one, with what depends on nothing else: its
/// last day, the instant it closes, the validity reason ("REMS.AUTHORIZATION_VALIDITY") and, for a
/// window from a test, the "REMS.PREGNANCY_TEST_CURRENT" reason. Made once per program and date
/// (<see cref="ProgramReasons"/>) instead of once per decision: these sentences, and the zone
/// lookup of the closing instant, were most of what a decision still allocated.
/// </summary>
internal sealed record AuthorizationWindow(LocalDate DayOne, LocalDate LastDay, Instant ClosesAt, Reason Validity, Reason? TestCurrent);
