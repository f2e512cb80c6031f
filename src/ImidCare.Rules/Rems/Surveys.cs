using ImidCare.Rules.Programs;
using NodaTime;

namespace ImidCare.Rules.Rems;

/// <summary>
/// A patient's survey answers. Each "true" is a sign of risk. Questions follow the automated
/// THALOMID survey described in facts §6.1 (shared drug, donated blood, sexual contact,
/// contraception) and the list (sperm donation, possible pregnancy).
/// </summary>
public sealed record PatientSurveyAnswers(
    bool SharedCapsules,
    bool DonatedBlood,
    bool DonatedSperm,
    bool MissedContraception,
    bool UnprotectedContact,
    bool PossiblePregnancy);

/// <summary>What must happen before a hold lifts.</summary>
public enum HoldClearance
{
    /// <summary>The prescriber counsels the patient again and attests to it.</summary>
    PrescriberCounseling,

    /// <summary>A negative pregnancy test whose specimen was taken after the hold began.</summary>
    NegativePregnancyTestAfterHold,

    /// <summary>The program's safety staff close the review.</summary>
    SafetyReview,
}

/// <summary>A hold the engine asks for: its code, why, and what clears it.</summary>
public sealed record HoldRequest(string Code, string Why, IReadOnlyList<HoldClearance> ClearedBy, RuleSource Source);

public sealed record SurveyEvaluation(Decision Decision, IReadOnlyList<HoldRequest> Holds);

public static class SurveyRules
{
    // No program text gives the hold semantics (facts Q2); these follow the facts document's
    // inference that risk answers hold the patient until prescriber follow-up and, where
    // pregnancy is possible, a repeat test.
    private static readonly RuleSource HoldSource = RuleSource.UnverifiedRule(
        "Inference from US 8,626,531 and patient reports: risk answers put the patient on hold (facts §6.1, Q2)", "I");

    private static readonly RuleSource NoDonation = RuleSource.Verified("REVLIMID Medication Guide; POMALYST PI §5.1: no blood or sperm donation during treatment, interruptions and 4 weeks after (facts §5.1)", "S");

    private static readonly RuleSource NoSharing = RuleSource.Verified("REMS Education and Counseling Checklist: never share capsules (facts §5.1)", "S");

    private static readonly RuleSource Contraception = RuleSource.Verified("REVLIMID/POMALYST PI §5.1: two reliable methods, or condoms for males (facts §5.1)", "S");

    private static readonly RuleSource Pregnancy = RuleSource.Verified("REVLIMID PI §5.1: stop the drug if pregnancy is suspected (facts §11)", "S");

    /// <summary>Turns survey answers into a decision and the holds it asks for.</summary>
    public static SurveyEvaluation Evaluate(PatientSurveyAnswers answers, RiskCategory category)
    {
        var frp = category.CanGetPregnant();
        var holds = new List<HoldRequest>();
        if (answers.PossiblePregnancy)
        {
            // A possible pregnancy of the patient, or of a male patient's partner, goes to safety review.
            holds.Add(new("POSSIBLE_PREGNANCY", frp ? "The patient reports she may be pregnant." : "The patient reports a partner may be pregnant.",
                frp ? [HoldClearance.NegativePregnancyTestAfterHold, HoldClearance.PrescriberCounseling] : [HoldClearance.SafetyReview, HoldClearance.PrescriberCounseling],
                Pregnancy));
        }

        if (answers.MissedContraception || answers.UnprotectedContact)
        {
            holds.Add(new("CONTRACEPTION_LAPSE", "The patient reports missed contraception or unprotected sexual contact.",
                frp ? [HoldClearance.NegativePregnancyTestAfterHold, HoldClearance.PrescriberCounseling] : [HoldClearance.PrescriberCounseling],
                Contraception));
        }

        if (answers.SharedCapsules)
        {
            holds.Add(new("SHARED_CAPSULES", "The patient reports sharing capsules.", [HoldClearance.PrescriberCounseling], NoSharing));
        }

        if (answers.DonatedBlood || answers.DonatedSperm)
        {
            holds.Add(new("DONATION", "The patient reports donating blood or sperm during treatment.", [HoldClearance.PrescriberCounseling], NoDonation));
        }

        if (holds.Count == 0)
        {
            return new(Decision.Allow(new Reason("REMS.SURVEY_PASSED", "No risk reported in the survey.", HoldSource)), holds);
        }

        var reasons = holds.Select(h => new Reason($"REMS.HOLD_{h.Code}", $"{h.Why} Cleared by: {Describe(h.ClearedBy)}.", h.Source))
            .Append(new Reason("REMS.SURVEY_HOLD", "Survey answers show risk, so the patient is on hold.", HoldSource));
        return new(Decision.HoldFor([.. reasons]), holds);
    }

    public static string Describe(IEnumerable<HoldClearance> clearedBy) => string.Join(", ", clearedBy.Select(c => c switch
    {
        HoldClearance.PrescriberCounseling => "the prescriber's renewed counseling",
        HoldClearance.NegativePregnancyTestAfterHold => "a negative pregnancy test taken after the hold began",
        HoldClearance.SafetyReview => "the program's safety review",
        _ => c.ToString(),
    }));

    /// <summary>
    /// Whether a patient survey is due before a prescription on <paramref name="today"/>: none for
    /// the first prescription (where the program says so), none for a category without cadence,
    /// else the last survey must lie within the cadence period.
    /// </summary>
    public static Decision PatientSurveyCurrent(ProgramRules program, RiskCategory category, bool firstPrescription, LocalDate? lastSurvey, LocalDate today)
    {
        var b = new DecisionBuilder();
        AddPatientSurvey(b, program, category, firstPrescription, lastSurvey, today);
        return b.Build();
    }

    /// <summary>The same check written straight into a decision being built; false when the survey is due.</summary>
    internal static bool AddPatientSurvey(DecisionBuilder b, ProgramRules program, RiskCategory category, bool firstPrescription, LocalDate? lastSurvey, LocalDate today)
    {
        if (firstPrescription && !program.PatientSurveyBeforeFirstPrescription.Value)
        {
            b.Pass(program.Reasons.SurveyNotNeededFirstRx(category));
            return true;
        }

        if (!program.PatientSurveys.TryGetValue(category, out var cadence) || cadence.Every is null)
        {
            b.Pass(new Reason("REMS.SURVEY_NOT_NEEDED", "Patients in this category take no survey.", cadence?.Source ?? program.Categories.Source));
            return true;
        }

        // "Every month": a survey taken on or after the same date one month earlier still counts.
        var oldestAccepted = today.Minus(cadence.Every);
        if (lastSurvey is { } last && last >= oldestAccepted && last <= today)
        {
            b.Pass(new Reason("REMS.SURVEY_CURRENT", string.Concat("Patient survey taken ", Fmt.Date(last), "."), cadence.Source));
            return true;
        }

        b.Deny(new Reason("REMS.SURVEY_DUE", "The patient must complete the mandatory survey first.", cadence.Source));
        return false;
    }
}
