using ImidCare.Rules.Programs;
using NodaTime;

namespace ImidCare.Rules.Rems;

public enum AuthorizationState
{
    Active,
    Confirmed,
    Dispensed,
    Revoked,
}

/// <summary>A previous dispense, for the early-fill rule.</summary>
public sealed record PreviousDispense(LocalDate DispensedOn, int DaysSupply);

/// <summary>What the pharmacy's confirmation request is decided on.</summary>
public sealed record ConfirmationFacts(
    ProgramRules Program,
    Instant Now,
    CertificationStatus? PharmacyCertification,
    AuthorizationState AuthorizationState,
    Instant AuthorizationExpiresAt,
    CertificationStatus? PrescriberCertification,
    EnrollmentStatus? Enrollment,
    RiskCategory Category,
    IReadOnlyList<OpenHold> Holds,
    bool FirstPrescription,
    LocalDate? LastPatientSurvey,
    PreviousDispense? LastDispense,
    Instant? ExpiresBeforeOutage = null);

public sealed record ConfirmationDecision(Decision Decision, Instant? ExpiresAt);

/// <summary>The Education and Counseling Checklist the pharmacist completes (REVLIMID checklist fields, facts §2.2).</summary>
public sealed record CounselingChecklist(
    string CounselorName,
    string WorkPhone,
    bool MedicationGuideGiven,
    bool SideEffectsDiscussed,
    bool NoSharingDiscussed,
    bool NoBloodDonationDiscussed,
    bool DoNotBreakChewOpenDiscussed,
    bool DoseInstructionsGiven,
    bool ContraceptionDiscussed,
    bool GuardianPresentForChild);

public sealed record DispenseFacts(
    ProgramRules Program,
    Instant Now,
    bool ConfirmationActive,
    Instant ConfirmationExpiresAt,
    bool SamePharmacy,
    int AuthorizedDaysSupply,
    int DaysSupply,
    int Quantity,
    RiskCategory Category,
    CounselingChecklist Checklist);

public static class DispensingRules
{
    private static readonly RuleSource PharmacyCertified = RuleSource.Verified("REMS: the pharmacy must be certified and obtain a confirmation number before dispensing (facts §2.2)", "S");

    private static readonly RuleSource OneUse = RuleSource.Verified("REMS: every fill needs a new prescription and a new authorization (facts §7.2)", "S");

    private static readonly RuleSource PrescriberStill = RuleSource.UnverifiedRule("Facts §7.3 step 2: check the prescriber and patient are still active at dispense", "I");

    private static readonly RuleSource Checklist = RuleSource.Verified("REVLIMID REMS Education and Counseling Checklist for Pharmacies (facts §2.2)", "S");

    private static readonly RuleSource Holds = RuleSource.UnverifiedRule("Inference: a patient on hold may not be dispensed to (facts §6.1, Q2)", "I");

    private static readonly Reason NoHoldReason = AuthorizationRules.NoHold(Holds);

    private static readonly RuleSource SurveyFirst = RuleSource.UnverifiedRule("Facts §7.3 step 4: if the patient survey is due, it must be complete before confirmation", "I");

    private static readonly Reason PharmacyCertifiedReason = new("REMS.PHARMACY_CERTIFIED", "The pharmacy is certified.", PharmacyCertified);

    private static readonly Reason ActiveReason = new("REMS.AUTHORIZATION_ACTIVE", "The authorization is unused.", OneUse);

    private static readonly Reason PrescriberStillReason = new("REMS.PRESCRIBER_CERTIFIED", "The prescriber is certified.", PrescriberStill);

    private static readonly Reason EnrolledStillReason = new("REMS.PATIENT_ENROLLED", "The patient is enrolled.", PrescriberStill);

    private static readonly RuleSource CapSource = RuleSource.UnverifiedRule(
        "Inference: the pregnancy-test recency that bounds the authorization also bounds the fill (facts §7.2 'Pregnancy-test recency at fill')", "I");

    public static ConfirmationDecision Confirm(ConfirmationFacts f)
    {
        var p = f.Program;
        var today = ProgramTime.Today(f.Now, p.Zone);
        var b = new DecisionBuilder();
        b.Check(f.PharmacyCertification == CertificationStatus.Certified, PharmacyCertifiedReason, f,
            static f => new Reason(Deactivation.Pharmacy(f.PharmacyCertification),
                $"This pharmacy is not certified in the {f.Program.Name} ({f.PharmacyCertification?.ToString().ToLowerInvariant() ?? "never certified"}).", PharmacyCertified));
        _ = f.AuthorizationState switch
        {
            AuthorizationState.Active => b.Pass(ActiveReason),
            AuthorizationState.Confirmed => b.Deny(new Reason("REMS.AUTHORIZATION_ALREADY_CONFIRMED", "The authorization already has a confirmation; reverse it first if it was not dispensed.", OneUse)),
            AuthorizationState.Dispensed => b.Deny(new Reason("REMS.AUTHORIZATION_ALREADY_DISPENSED", "The authorization has been dispensed; a new prescription and authorization are needed.", OneUse)),
            _ => b.Deny(new Reason("REMS.AUTHORIZATION_REVOKED", "The authorization was revoked.", OneUse)),
        };
        var windowSource = f.Category.CanGetPregnant() ? p.AuthorizationFromLastTest.Source : p.AuthorizationFromIssue.Source;
        b.Check(f.Now < f.AuthorizationExpiresAt, new Reason("REMS.AUTHORIZATION_IN_WINDOW", "The authorization is within its validity window.", windowSource), f,
            static f => new Reason("REMS.AUTHORIZATION_EXPIRED", $"The authorization expired at {Fmt.DateTime(f.AuthorizationExpiresAt, f.Program.Zone)} ({f.Program.Zone.Id}).",
                f.Category.CanGetPregnant() ? f.Program.AuthorizationFromLastTest.Source : f.Program.AuthorizationFromIssue.Source));
        b.Check(f.PrescriberCertification == CertificationStatus.Certified, PrescriberStillReason, f,
            static f => new Reason(Deactivation.Prescriber(f.PrescriberCertification), "The prescriber's certification is no longer active.", PrescriberStill));
        b.Check(f.Enrollment == EnrollmentStatus.Enrolled, EnrolledStillReason, f,
            static f => new Reason(Deactivation.Patient(f.Enrollment), "The patient is no longer enrolled.", PrescriberStill));
        if (f.ExpiresBeforeOutage is { } before && before != f.AuthorizationExpiresAt)
        {
            b.Pass(OutageRules.Extended(before, f.AuthorizationExpiresAt, p.Zone));
        }

        AuthorizationRules.AddHolds(b, f.Holds, NoHoldReason);
        if (!SurveyRules.AddPatientSurvey(b, p, f.Category, f.FirstPrescription, f.LastPatientSurvey, today))
        {
            b.Deny(new Reason("REMS.SURVEY_BEFORE_CONFIRMATION", "The survey must be done before the pharmacy confirms.", SurveyFirst));
        }

        AddEarlyFill(b, p, f.LastDispense, today);
        if (b.AnyFailed)
        {
            return new(b.Build(), null);
        }

        var expires = f.Now + p.ConfirmationValidity.Value;
        var validity = new Reason("REMS.CONFIRMATION_VALIDITY",
            $"Confirmation valid {(long)p.ConfirmationValidity.Value.TotalHours} hours, until {Fmt.DateTime(expires, p.Zone)} ({p.Zone.Id}).",
            p.ConfirmationValidity.Source);

        // For a patient who can get pregnant the authorization window is tied to her last negative
        // test; a confirmation obtained late on day 7 must not carry the fill into day 8.
        if (f.Category.CanGetPregnant() && f.AuthorizationExpiresAt < expires)
        {
            expires = f.AuthorizationExpiresAt;
            return new(b.Build(validity, new Reason("REMS.CONFIRMATION_CAPPED_AT_AUTHORIZATION",
                $"The confirmation ends with the authorization window, at {Fmt.DateTime(expires, p.Zone)} ({p.Zone.Id}).", CapSource)), expires);
        }

        return new(b.Build(validity), expires);
    }

    /// <summary>
    /// A later fill only when at most N days of therapy remain on the last one. Days remaining =
    /// the last dispense date plus its days supply, minus today (the dispense date is day 1).
    /// </summary>
    public static Decision EarlyFill(ProgramRules p, PreviousDispense? last, LocalDate today)
    {
        var b = new DecisionBuilder();
        AddEarlyFill(b, p, last, today);
        return b.Build();
    }

    private static void AddEarlyFill(DecisionBuilder b, ProgramRules p, PreviousDispense? last, LocalDate today)
    {
        if (last is null)
        {
            b.Pass(p.Reasons.FirstFill);
            return;
        }

        var remaining = Period.DaysBetween(today, last.DispensedOn.PlusDays(last.DaysSupply));
        var limit = p.NextFillWhenDaysRemainAtMost.Value;
        _ = remaining <= limit
            ? b.Pass(new Reason("REMS.REFILL_WINDOW_OPEN", $"{Math.Max(remaining, 0)} days of therapy remain (at most {limit} allowed).", p.NextFillWhenDaysRemainAtMost.Source))
            : b.Deny(new Reason("REMS.TOO_EARLY_TO_FILL",
                $"{remaining} days of therapy remain from the fill of {Fmt.Date(last.DispensedOn)}; the next fill may be confirmed from {Fmt.Date(last.DispensedOn.PlusDays(last.DaysSupply - limit))}.",
                p.NextFillWhenDaysRemainAtMost.Source));
    }

    public static Decision Dispense(DispenseFacts f)
    {
        var p = f.Program;
        var c = f.Checklist;
        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(c.CounselorName))
        {
            missing.Add("counselor name");
        }

        if (string.IsNullOrWhiteSpace(c.WorkPhone))
        {
            missing.Add("work phone");
        }

        void Need(bool done, string item)
        {
            if (!done)
            {
                missing.Add(item);
            }
        }

        Need(c.MedicationGuideGiven, "Medication Guide given");
        Need(c.SideEffectsDiscussed, "side effects discussed");
        Need(c.NoSharingDiscussed, "no sharing of capsules");
        Need(c.NoBloodDonationDiscussed, "no blood donation");
        Need(c.DoNotBreakChewOpenDiscussed, "do not break, chew or open capsules");
        Need(c.DoseInstructionsGiven, "dose instructions");
        if (f.Category.CanGetPregnant() || f.Category.IsMale())
        {
            Need(c.ContraceptionDiscussed, "contraception");
        }

        if (f.Category.IsChild())
        {
            Need(c.GuardianPresentForChild, "parent or guardian counseled");
        }

        var checks = new List<Decision>
        {
            AuthorizationRules.Check(f.ConfirmationActive, "REMS.CONFIRMATION_NOT_ACTIVE", "The confirmation was already used or reversed.",
                "REMS.CONFIRMATION_ACTIVE", "The confirmation is unused.", OneUse),
            AuthorizationRules.Check(f.Now < f.ConfirmationExpiresAt, "REMS.CONFIRMATION_EXPIRED",
                $"The confirmation expired at {Fmt.DateTime(f.ConfirmationExpiresAt, p.Zone)} ({p.Zone.Id}); obtain a new one.",
                "REMS.CONFIRMATION_IN_WINDOW", "The confirmation is within its validity.", p.ConfirmationValidity.Source),
            AuthorizationRules.Check(f.SamePharmacy, "REMS.CONFIRMATION_OTHER_PHARMACY", "This confirmation belongs to another pharmacy.",
                "REMS.CONFIRMATION_OWN_PHARMACY", "The confirmation is this pharmacy's.", PharmacyCertified),
            AuthorizationRules.Check(f.DaysSupply >= 1 && f.DaysSupply <= Math.Min(f.AuthorizedDaysSupply, p.MaxDaysSupply.Value), "REMS.DAYS_SUPPLY_OUT_OF_RANGE",
                $"Days supply must be 1 to {Math.Min(f.AuthorizedDaysSupply, p.MaxDaysSupply.Value)} (as authorized); {f.DaysSupply} was given.",
                "REMS.DAYS_SUPPLY_OK", $"{f.DaysSupply} days supply.", p.MaxDaysSupply.Source),
            AuthorizationRules.Check(f.Quantity >= 1, "REMS.QUANTITY_INVALID", "Quantity must be at least 1.", "REMS.QUANTITY_OK", $"{f.Quantity} capsules.", p.MaxDaysSupply.Source),
            AuthorizationRules.Check(missing.Count == 0, "REMS.COUNSELING_INCOMPLETE", $"The counseling checklist is incomplete: {string.Join(", ", missing)}.",
                "REMS.COUNSELING_COMPLETE", "Counseling checklist complete.", Checklist),
        };
        return Decision.Combine(checks);
    }
}
