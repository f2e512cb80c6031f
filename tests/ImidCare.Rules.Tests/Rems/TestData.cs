using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using NodaTime;
using TestResult = ImidCare.Rules.Rems.TestResult;

namespace ImidCare.Rules.Tests.Rems;

/// <summary>Shared clock helpers: every date in these tests is a New York calendar date.</summary>
internal static class Ny
{
    public static readonly DateTimeZone Zone = DateTimeZoneProviders.Tzdb["America/New_York"];

    public static readonly Duration Tick = Duration.FromTicks(1);

    public static LocalDate Date(int year, int month, int day) => new(year, month, day);

    /// <summary>The instant of a New York wall-clock time (noon unless told).</summary>
    public static Instant At(LocalDate date, int hour = 12, int minute = 0, int second = 0) =>
        date.At(new LocalTime(hour, minute, second)).InZoneStrictly(Zone).ToInstant();

    public static Instant At(int year, int month, int day, int hour = 12, int minute = 0) => At(new LocalDate(year, month, day), hour, minute);

    /// <summary>Midnight at the start of <paramref name="date"/> in New York.</summary>
    public static Instant StartOf(LocalDate date) => Zone.AtStartOfDay(date).ToInstant();

    public static PregnancyTest Negative(Instant at, int sensitivity = 25, TestSetting setting = TestSetting.Lab) =>
        new(at, TestResult.Negative, sensitivity, setting);

    public static PregnancyTest Negative(LocalDate on) => Negative(At(on));

    public static PregnancyTest Positive(LocalDate on) => new(At(on), TestResult.Positive, 25, TestSetting.Lab);
}

/// <summary>
/// Authorization facts that pass every check for an adult male in the Lenalidomide REMS on a
/// later prescription; each test changes only what it is about.
/// </summary>
internal sealed class AuthorizationFactsBuilder
{
    private readonly List<PregnancyTest> tests = [];
    private readonly List<OpenHold> holds = [];
    private readonly List<MissedWindow> missed = [];
    private ProgramRules program = ProgramCatalog.Lenalidomide;
    private string? drug;
    private Instant now = Ny.At(2026, 6, 15, 10);
    private CertificationStatus? prescriber = CertificationStatus.Certified;
    private EnrollmentStatus? enrollment = EnrollmentStatus.Enrolled;
    private RiskCategory category = RiskCategory.AdultMale;
    private bool agreementSigned = true;
    private bool firstPrescription;
    private LocalDate? lastSurvey;
    private bool surveySet;
    private int daysSupply = 28;
    private int refills;
    private bool counseling = true;

    public AuthorizationFactsBuilder Program(ProgramRules value)
    {
        program = value;
        return this;
    }

    public AuthorizationFactsBuilder Drug(string value)
    {
        drug = value;
        return this;
    }

    public AuthorizationFactsBuilder Now(Instant value)
    {
        now = value;
        return this;
    }

    public AuthorizationFactsBuilder Now(LocalDate date, int hour = 10) => Now(Ny.At(date, hour));

    public AuthorizationFactsBuilder Prescriber(CertificationStatus? value)
    {
        prescriber = value;
        return this;
    }

    public AuthorizationFactsBuilder Enrollment(EnrollmentStatus? value, bool signed = true)
    {
        enrollment = value;
        agreementSigned = signed;
        return this;
    }

    public AuthorizationFactsBuilder Category(RiskCategory value)
    {
        category = value;
        return this;
    }

    public AuthorizationFactsBuilder FirstPrescription(bool value = true)
    {
        firstPrescription = value;
        return this;
    }

    public AuthorizationFactsBuilder LastSurvey(LocalDate? value)
    {
        lastSurvey = value;
        surveySet = true;
        return this;
    }

    public AuthorizationFactsBuilder DaysSupply(int value)
    {
        daysSupply = value;
        return this;
    }

    public AuthorizationFactsBuilder Refills(int value)
    {
        refills = value;
        return this;
    }

    public AuthorizationFactsBuilder Counseling(bool value)
    {
        counseling = value;
        return this;
    }

    public AuthorizationFactsBuilder Test(PregnancyTest test)
    {
        tests.Add(test);
        return this;
    }

    public AuthorizationFactsBuilder NegativeTestOn(LocalDate date) => Test(Ny.Negative(date));

    public AuthorizationFactsBuilder Hold(string code)
    {
        holds.Add(new OpenHold(code, "On hold.", [HoldClearance.PrescriberCounseling]));
        return this;
    }

    public AuthorizationFactsBuilder MissedWindowOpenedBy(LocalDate testDate)
    {
        missed.Add(new MissedWindow(testDate));
        return this;
    }

    public AuthorizationFacts Build() => new(
        program,
        now,
        drug ?? program.Drugs[0],
        prescriber,
        enrollment,
        category,
        agreementSigned,
        holds,
        tests,
        firstPrescription,
        surveySet ? lastSurvey : ProgramTime.Today(now, program.Zone).PlusDays(-1),
        daysSupply,
        refills,
        counseling,
        missed);

    public AuthorizationDecision Evaluate() => AuthorizationRules.Evaluate(Build());
}

/// <summary>Confirmation facts that pass every check; each test changes only what it is about.</summary>
internal sealed record ConfirmationFactsBuilder
{
    public ProgramRules Program { get; init; } = ProgramCatalog.Lenalidomide;

    public Instant Now { get; init; } = Ny.At(2026, 6, 15, 10);

    public CertificationStatus? Pharmacy { get; init; } = CertificationStatus.Certified;

    public AuthorizationState State { get; init; } = AuthorizationState.Active;

    public Instant? AuthorizationExpiresAt { get; init; }

    public CertificationStatus? Prescriber { get; init; } = CertificationStatus.Certified;

    public EnrollmentStatus? Enrollment { get; init; } = EnrollmentStatus.Enrolled;

    public RiskCategory Category { get; init; } = RiskCategory.AdultMale;

    public IReadOnlyList<OpenHold> Holds { get; init; } = [];

    public bool FirstPrescription { get; init; }

    public LocalDate? LastSurvey { get; init; } = Ny.Date(2026, 6, 10);

    public PreviousDispense? LastDispense { get; init; }

    public ConfirmationFacts Build() => new(
        Program, Now, Pharmacy, State, AuthorizationExpiresAt ?? Now + Duration.FromDays(5), Prescriber, Enrollment, Category, Holds,
        FirstPrescription, LastSurvey, LastDispense);

    public ConfirmationDecision Confirm() => DispensingRules.Confirm(Build());
}

/// <summary>Dispense facts that pass every check; each test changes only what it is about.</summary>
internal sealed record DispenseFactsBuilder
{
    public static readonly CounselingChecklist FullChecklist = new("A. Pharmacist", "555-0100", true, true, true, true, true, true, true, true);

    public ProgramRules Program { get; init; } = ProgramCatalog.Lenalidomide;

    public Instant Now { get; init; } = Ny.At(2026, 6, 15, 10);

    public bool ConfirmationActive { get; init; } = true;

    public Instant? ConfirmationExpiresAt { get; init; }

    public bool SamePharmacy { get; init; } = true;

    public int AuthorizedDaysSupply { get; init; } = 28;

    public int DaysSupply { get; init; } = 28;

    public int Quantity { get; init; } = 28;

    public RiskCategory Category { get; init; } = RiskCategory.AdultMale;

    public CounselingChecklist Checklist { get; init; } = FullChecklist;

    public Decision Dispense() => DispensingRules.Dispense(new DispenseFacts(
        Program, Now, ConfirmationActive, ConfirmationExpiresAt ?? Now + Duration.FromHours(12), SamePharmacy, AuthorizedDaysSupply, DaysSupply,
        Quantity, Category, Checklist));
}

internal static class DecisionAssertions
{
    public static string[] Codes(this Decision d) => [.. d.Reasons.Select(r => r.Code)];
}
