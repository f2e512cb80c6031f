using ImidCare.Rules.Programs;
using NodaTime;

namespace ImidCare.Rules.Rems;

public enum CertificationStatus
{
    Pending,
    Certified,
    Suspended,
    Revoked,
}

public enum EnrollmentStatus
{
    Enrolled,
    Inactive,
    Disenrolled,
}

/// <summary>A patient's open hold as the rules see it.</summary>
public sealed record OpenHold(string Code, string Why, IReadOnlyList<HoldClearance> ClearedBy);

/// <summary>A window the patient missed: an authorization that expired undispensed, and the test that opened it.</summary>
public sealed record MissedWindow(LocalDate OpenedByTestOn);

/// <summary>Everything the prescriber survey decides on, loaded by the caller.</summary>
public sealed record AuthorizationFacts(
    ProgramRules Program,
    Instant Now,
    string Drug,
    CertificationStatus? PrescriberCertification,
    EnrollmentStatus? Enrollment,
    RiskCategory Category,
    bool AgreementSigned,
    IReadOnlyList<OpenHold> Holds,
    IReadOnlyList<PregnancyTest> Tests,
    bool FirstPrescription,
    LocalDate? LastPatientSurvey,
    int DaysSupply,
    int Refills,
    bool CounselingAttested,
    IReadOnlyList<MissedWindow> MissedWindows);

/// <summary>The answer to a prescriber survey: the decision and, when allowed, the validity window.</summary>
public sealed record AuthorizationDecision(Decision Decision, DateInterval? ValidOn, Instant? ExpiresAt, PregnancyTest? AnchorTest);

public static class AuthorizationRules
{
    private static readonly RuleSource Certified = RuleSource.Verified("REMS: only certified prescribers may prescribe (facts §2.1)", "S");

    /// <summary>The rule every authorization and every fill rests on; also cited when a patient is told their enrollment changed.</summary>
    public static readonly RuleSource Enrolled = RuleSource.Verified("REMS: the patient is enrolled with a signed Patient-Physician Agreement (facts §2.3)", "S");

    private static readonly RuleSource Counseling = RuleSource.Verified("REMS prescriber agreement: contraception and emergency-contraception counseling with each new prescription (facts §2.1)", "S");

    internal static readonly RuleSource VerifyTests = RuleSource.Verified("REMS prescriber agreement: verify negative pregnancy tests before writing each new prescription (facts §2.1)", "S");

    private static readonly RuleSource Holds = RuleSource.UnverifiedRule("Inference: a patient on hold gets no authorization until the hold is cleared (facts §6.1, Q2)", "I");

    private static readonly Reason PrescriberCertifiedReason = new("REMS.PRESCRIBER_CERTIFIED", "The prescriber is certified.", Certified);

    private static readonly Reason EnrolledReason = new("REMS.PATIENT_ENROLLED", "The patient is enrolled with a signed agreement.", Enrolled);

    private static readonly Reason CounselingReason = new("REMS.COUNSELING_ATTESTED", "Counseling attested.", Counseling);

    private static readonly Reason NoHoldReason = NoHold(Holds);

    internal static Reason NoHold(RuleSource source) => new("REMS.NO_HOLD", "The patient is not on hold.", source);

    /// <summary>Each open hold holds the decision, with what clears it; none passes with <paramref name="noHold"/>.</summary>
    internal static void AddHolds(DecisionBuilder b, IReadOnlyList<OpenHold> holds, Reason noHold)
    {
        if (holds.Count == 0)
        {
            b.Pass(noHold);
            return;
        }

        foreach (var h in holds)
        {
            b.Hold(new Reason($"REMS.HOLD_{h.Code}", $"{h.Why} Cleared by: {SurveyRules.Describe(h.ClearedBy)}.", noHold.Source));
        }
    }

    public static AuthorizationDecision Evaluate(AuthorizationFacts f)
    {
        var p = f.Program;
        var zone = p.Zone;
        var today = ProgramTime.Today(f.Now, zone);
        var b = new DecisionBuilder();
        var drug = p.DrugIndex(f.Drug);
        _ = drug >= 0
            ? b.Pass(p.Reasons.Covered[drug])
            : b.Deny(new Reason("REMS.DRUG_NOT_IN_PROGRAM", $"{f.Drug} is not covered by the {p.Name}.", p.Categories.Source));
        b.Check(f.PrescriberCertification == CertificationStatus.Certified, PrescriberCertifiedReason, f,
            static f => new Reason(Deactivation.Prescriber(f.PrescriberCertification),
                $"The prescriber is not certified in the {f.Program.Name} ({f.PrescriberCertification?.ToString().ToLowerInvariant() ?? "never enrolled"}).", Certified));
        b.Check(f.Enrollment == EnrollmentStatus.Enrolled && f.AgreementSigned, EnrolledReason, f,
            static f => new Reason(Deactivation.Patient(f.Enrollment),
                f.Enrollment switch
                {
                    EnrollmentStatus.Enrolled => "The Patient-Physician Agreement is not signed.",
                    null => "The patient is not enrolled in this program.",
                    var s => $"The patient's enrollment in this program is {s.Value.ToString().ToLowerInvariant()}.",
                }, Enrolled));
        if (f.DaysSupply >= 1 && f.DaysSupply <= p.MaxDaysSupply.Value)
        {
            b.Pass(p.Reasons.DaysSupplyOk[f.DaysSupply]);
        }
        else
        {
            b.Deny(new Reason("REMS.DAYS_SUPPLY_OUT_OF_RANGE", $"Days supply must be 1 to {p.MaxDaysSupply.Value}; {f.DaysSupply} was asked.", p.MaxDaysSupply.Source));
        }

        b.Check(f.Refills <= p.MaxRefills.Value, p.Reasons.NoRefills, p,
            static p => new Reason("REMS.REFILLS_NOT_ALLOWED", "No refills may be prescribed; every fill needs a new authorization.", p.MaxRefills.Source));
        b.Check(f.CounselingAttested, CounselingReason, f,
            static _ => new Reason("REMS.COUNSELING_NOT_ATTESTED", "The prescriber must attest to counseling for this prescription.", Counseling));
        AddHolds(b, f.Holds, NoHoldReason);
        SurveyRules.AddPatientSurvey(b, p, f.Category, f.FirstPrescription, f.LastPatientSurvey, today);

        AuthorizationWindow? fromTest = null;
        var anchor = f.Category.CanGetPregnant() ? TestsForPrescription(b, f, today, out fromTest) : null;

        if (b.AnyFailed)
        {
            return new(b.Build(), null, null, null);
        }

        var window = anchor is null ? p.Reasons.FromIssue(today) : fromTest!;
        return new(b.Build(window.Validity), new DateInterval(today, window.LastDay), window.ClosesAt, anchor);
    }

    /// <summary>Writes the pregnancy-test checks into the decision; returns the test the authorization rests on, if any, with the window from its date.</summary>
    private static PregnancyTest? TestsForPrescription(DecisionBuilder b, AuthorizationFacts f, LocalDate today, out AuthorizationWindow? window)
    {
        window = null;
        var p = f.Program;
        var zone = p.Zone;
        IReadOnlyList<PregnancyTest> tests = f.Tests;
        if (p.Lockout.Enabled && f.MissedWindows.Count > 0)
        {
            var lockedUntil = f.MissedWindows.Max(m => m.OpenedByTestOn).PlusDays(p.Lockout.AtLeastDaysAfterMissedTest);
            tests = [.. f.Tests.Where(t => t.SpecimenAt.InZone(zone).Date >= lockedUntil)];
            if (today < lockedUntil || !tests.Any(t => PregnancyTestRules.Counts(t, p)))
            {
                b.Deny(new Reason("REMS.LOCKOUT", $"A window was missed: the next pregnancy test must be taken on or after {Fmt.Date(lockedUntil)}.", p.Lockout.Source));
                return null;
            }
        }

        // A positive test stands until a later negative test that counts; an indeterminate or
        // insufficiently sensitive test taken after it does not clear it.
        PregnancyTest? latestPositive = null;
        for (var i = 0; i < f.Tests.Count; i++)
        {
            var t = f.Tests[i];
            if (t.SpecimenAt <= f.Now && t.Result == TestResult.Positive && (latestPositive is null || t.SpecimenAt > latestPositive.SpecimenAt))
            {
                latestPositive = t;
            }
        }

        if (latestPositive is not null)
        {
            var latestCounting = PregnancyTestRules.LastQualifying(f.Tests, p, f.Now);
            if (latestCounting is null || latestCounting.SpecimenAt <= latestPositive.SpecimenAt)
            {
                b.Deny(new Reason("REMS.PREGNANCY_TEST_POSITIVE", "The most recent pregnancy test is positive: the drug must not be prescribed.", VerifyTests));
                return null;
            }
        }

        // The tests that count now, latest first, each dated once: the first is the last qualifying test.
        var buffer = default(SmallBuffer<DatedTest>);
        var counting = PregnancyTestRules.CountingAt(tests, p, f.Now, tests.Count <= SmallBuffer<DatedTest>.Length ? buffer : new DatedTest[tests.Count]);
        if (f.FirstPrescription && !PregnancyTestRules.AddPreStart(b, counting, p, today, f.Now, passes: false))
        {
            return null;
        }

        if (counting.IsEmpty)
        {
            b.Deny(new Reason("REMS.PREGNANCY_TEST_MISSING", "No negative pregnancy test is on file.", VerifyTests));
            return null;
        }

        var last = counting[0];
        var fromLast = p.Reasons.FromLastTest(last.Date);
        if (today > fromLast.LastDay)
        {
            b.Deny(new Reason(
                "REMS.PREGNANCY_TEST_STALE",
                $"The last negative test ({Fmt.Date(last.Date)}) is too old: an authorization must fall within {p.AuthorizationFromLastTest.Value.Days} days of it (day 1 = specimen date).",
                p.AuthorizationFromLastTest.Source));
            return null;
        }

        b.Pass(fromLast.TestCurrent!);
        window = fromLast;
        return last.Test;
    }

    internal static Decision Check(bool ok, string failCode, string failMessage, string okCode, string okMessage, RuleSource source) =>
        ok ? Decision.Allow(new Reason(okCode, okMessage, source)) : Decision.Deny(new Reason(failCode, failMessage, source));
}

/// <summary>
/// The reason code for a stakeholder who is not (or no longer) in the program. A certification or
/// enrollment the program ended (suspended, revoked, inactive, disenrolled) is a deactivation,
/// with its own code, so every rendering can tell it from "never certified": NCPDP reports
/// deactivations as EX (prescriber), EY (pharmacy) and EZ (patient).
/// </summary>
public static class Deactivation
{
    public const string PrescriberCode = "REMS.PRESCRIBER_DEACTIVATED";
    public const string PharmacyCode = "REMS.PHARMACY_DEACTIVATED";
    public const string PatientCode = "REMS.PATIENT_DEACTIVATED";

    public static string Prescriber(CertificationStatus? s) => Ended(s) ? PrescriberCode : "REMS.PRESCRIBER_NOT_CERTIFIED";

    public static string Pharmacy(CertificationStatus? s) => Ended(s) ? PharmacyCode : "REMS.PHARMACY_NOT_CERTIFIED";

    /// <summary>Enrolled with the agreement unsigned is "not enrolled" (not yet complete), not a deactivation.</summary>
    public static string Patient(EnrollmentStatus? s) => s is EnrollmentStatus.Inactive or EnrollmentStatus.Disenrolled ? PatientCode : "REMS.PATIENT_NOT_ENROLLED";

    private static bool Ended(CertificationStatus? s) => s is CertificationStatus.Suspended or CertificationStatus.Revoked;
}
