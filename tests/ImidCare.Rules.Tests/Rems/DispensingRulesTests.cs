using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using NodaTime;
using Shouldly;

namespace ImidCare.Rules.Tests.Rems;

public class DispensingRulesTests
{
    private static readonly ConfirmationFactsBuilder Confirmation = new();
    private static readonly DispenseFactsBuilder Dispensing = new();

    [Fact]
    public void Confirm_Allowed_Valid24Hours()
    {
        var c = Confirmation.Confirm();
        c.Decision.IsAllowed.ShouldBeTrue();
        c.ExpiresAt.ShouldBe(Confirmation.Now + Duration.FromHours(24));
        var validity = c.Decision.Reasons.Single(r => r.Code == "REMS.CONFIRMATION_VALIDITY");
        validity.Unverified.ShouldBeTrue(); // 24 h rests on a third-party paraphrase [T]
    }

    [Fact]
    public void Confirm_AuthorizationExpiry_NowMustBeBeforeExpiresAt()
    {
        var expires = Ny.StartOf(Ny.Date(2026, 6, 16));
        (Confirmation with { Now = expires - Ny.Tick, AuthorizationExpiresAt = expires }).Confirm().Decision.IsAllowed.ShouldBeTrue();
        var refused = (Confirmation with { Now = expires, AuthorizationExpiresAt = expires }).Confirm();
        refused.Decision.Codes().ShouldBe(["REMS.AUTHORIZATION_EXPIRED"]);
        refused.ExpiresAt.ShouldBeNull();
    }

    [Fact]
    public void Confirm_CanGetPregnant_ConfirmationEndsWithTheAuthorizationWindow()
    {
        // Confirmed at 23:00 on day 7: the 24 h confirmation would reach into day 8.
        var closes = Ny.StartOf(Ny.Date(2026, 6, 16));
        var late = (Confirmation with { Now = closes - Duration.FromHours(1), AuthorizationExpiresAt = closes, Category = RiskCategory.AdultFemaleCanGetPregnant }).Confirm();
        late.ExpiresAt.ShouldBe(closes);
        late.Decision.Codes().ShouldContain("REMS.CONFIRMATION_CAPPED_AT_AUTHORIZATION");

        // Others keep the full 24 hours: their window is counted from issue, not from a test.
        var male = (Confirmation with { Now = closes - Duration.FromHours(1), AuthorizationExpiresAt = closes, Category = RiskCategory.AdultMale }).Confirm();
        male.ExpiresAt.ShouldBe(closes + Duration.FromHours(23));
    }

    [Theory]
    [InlineData(AuthorizationState.Confirmed, "REMS.AUTHORIZATION_ALREADY_CONFIRMED")]
    [InlineData(AuthorizationState.Dispensed, "REMS.AUTHORIZATION_ALREADY_DISPENSED")]
    [InlineData(AuthorizationState.Revoked, "REMS.AUTHORIZATION_REVOKED")]
    public void Confirm_AuthorizationUsedOnce(AuthorizationState state, string code) =>
        (Confirmation with { State = state }).Confirm().Decision.Codes().ShouldBe([code]);

    // Previous fill on 1 June 2026 of 28 days (therapy through 28 June; 29 June = D + S); today = 29 June − remaining.
    public static TheoryData<int, bool> EarlyFillCases => new()
    {
        { 20, false },
        { 8, false }, // 21 June
        { 7, true }, // 22 June: the first day a fill may be confirmed
        { 1, true },
        { 0, true },
        { -5, true }, // past the end of the last supply
    };

    [Theory]
    [MemberData(nameof(EarlyFillCases))]
    public void EarlyFill_AtMost7DaysRemaining(int remaining, bool allowed)
    {
        var last = new PreviousDispense(Ny.Date(2026, 6, 1), 28);
        var today = Ny.Date(2026, 6, 29).PlusDays(-remaining);
        var d = DispensingRules.EarlyFill(ProgramCatalog.Lenalidomide, last, today);
        d.IsAllowed.ShouldBe(allowed);
        if (!allowed)
        {
            d.Codes().ShouldBe(["REMS.TOO_EARLY_TO_FILL"]);
            d.Reasons[0].Message.ShouldContain("2026-06-22");
        }

        var viaConfirm = (Confirmation with { Now = Ny.At(today, 9), LastSurvey = today, LastDispense = last }).Confirm();
        viaConfirm.Decision.IsAllowed.ShouldBe(allowed);
    }

    [Fact]
    public void EarlyFill_NoPreviousDispense_Allowed() =>
        DispensingRules.EarlyFill(ProgramCatalog.Lenalidomide, null, Ny.Date(2026, 6, 1)).Codes().ShouldBe(["REMS.FIRST_FILL"]);

    [Fact]
    public void Confirm_SurveyDue_RefusedWithTheConfirmationStepNamed()
    {
        var d = (Confirmation with { LastSurvey = null }).Confirm().Decision;
        d.Codes().ShouldBe(["REMS.SURVEY_DUE", "REMS.SURVEY_BEFORE_CONFIRMATION"]);
        d.Reasons.Single(r => r.Code == "REMS.SURVEY_BEFORE_CONFIRMATION").Unverified.ShouldBeTrue();
    }

    [Fact]
    public void Confirm_OpenHold_Holds()
    {
        var d = (Confirmation with { Holds = [new OpenHold("DONATION", "Donated blood.", [HoldClearance.PrescriberCounseling])] }).Confirm().Decision;
        d.Outcome.ShouldBe(Outcome.Hold);
        d.Codes().ShouldBe(["REMS.HOLD_DONATION"]);
    }

    [Fact]
    public void Confirm_EveryFailure_ListedAtOnce()
    {
        var d = (Confirmation with
        {
            Pharmacy = CertificationStatus.Revoked,
            Prescriber = null,
            Enrollment = EnrollmentStatus.Disenrolled,
            AuthorizationExpiresAt = Confirmation.Now,
            LastDispense = new PreviousDispense(Ny.Date(2026, 6, 14), 28),
        }).Confirm().Decision;
        d.Codes().ShouldBe(
            ["REMS.PHARMACY_DEACTIVATED", "REMS.AUTHORIZATION_EXPIRED", "REMS.PRESCRIBER_NOT_CERTIFIED", "REMS.PATIENT_DEACTIVATED", "REMS.TOO_EARLY_TO_FILL"],
            ignoreOrder: true);
    }

    [Fact]
    public void Dispense_ConfirmationExpiry_24HoursAfterConfirming()
    {
        var confirmedAt = Ny.At(2026, 11, 1, 0, 30); // the fall-back night: 24 h later is 23:30 EST the same calendar day
        var expires = (Confirmation with { Now = confirmedAt, LastSurvey = Ny.Date(2026, 10, 31) }).Confirm().ExpiresAt!.Value;
        expires.ShouldBe(confirmedAt + Duration.FromHours(24));
        (Dispensing with { Now = expires - Ny.Tick, ConfirmationExpiresAt = expires }).Dispense().IsAllowed.ShouldBeTrue();
        (Dispensing with { Now = expires, ConfirmationExpiresAt = expires }).Dispense().Codes().ShouldBe(["REMS.CONFIRMATION_EXPIRED"]);
    }

    // program, authorized days, dispensed days → allowed
    public static TheoryData<string, int, int, bool> DispenseDaysCases => new()
    {
        { "LEN", 28, 0, false },
        { "LEN", 28, 1, true },
        { "LEN", 28, 28, true },
        { "LEN", 29, 29, false }, // never over the program maximum, whatever was authorized
        { "THAL", 14, 15, false }, // never over what was authorized
        { "IPLEDGE", 30, 30, true },
        { "IPLEDGE", 31, 31, false },
    };

    [Theory]
    [MemberData(nameof(DispenseDaysCases))]
    public void Dispense_DaysSupply(string program, int authorized, int days, bool allowed)
    {
        var d = (Dispensing with { Program = ProgramCatalog.Find(program)!, AuthorizedDaysSupply = authorized, DaysSupply = days }).Dispense();
        d.IsAllowed.ShouldBe(allowed);
        if (!allowed)
        {
            d.Codes().ShouldBe(["REMS.DAYS_SUPPLY_OUT_OF_RANGE"]);
        }
    }

    public static TheoryData<RiskCategory, bool, bool, string?> ChecklistCases => new()
    {
        { RiskCategory.AdultMale, false, true, "contraception" }, // males must hear about condoms
        { RiskCategory.AdultFemaleCanGetPregnant, false, true, "contraception" },
        { RiskCategory.AdultFemaleCannotGetPregnant, false, false, null }, // no contraception counseling needed, no child
        { RiskCategory.FemaleChildCannotGetPregnant, true, false, "parent or guardian" },
        { RiskCategory.MaleChild, true, true, null },
    };

    [Theory]
    [MemberData(nameof(ChecklistCases))]
    public void Dispense_Checklist_ByCategory(RiskCategory category, bool contraception, bool guardian, string? missing)
    {
        var checklist = DispenseFactsBuilder.FullChecklist with { ContraceptionDiscussed = contraception, GuardianPresentForChild = guardian };
        var d = (Dispensing with { Category = category, Checklist = checklist }).Dispense();
        d.IsAllowed.ShouldBe(missing is null);
        if (missing is not null)
        {
            d.Codes().ShouldBe(["REMS.COUNSELING_INCOMPLETE"]);
            d.Reasons[0].Message.ShouldContain(missing);
        }
    }

    [Fact]
    public void Dispense_EveryFailure_ListedAtOnce()
    {
        var d = (Dispensing with
        {
            ConfirmationActive = false,
            SamePharmacy = false,
            DaysSupply = 29,
            Quantity = 0,
            Checklist = DispenseFactsBuilder.FullChecklist with { CounselorName = " ", MedicationGuideGiven = false },
        }).Dispense();
        d.Codes().ShouldBe(
            ["REMS.CONFIRMATION_NOT_ACTIVE", "REMS.CONFIRMATION_OTHER_PHARMACY", "REMS.DAYS_SUPPLY_OUT_OF_RANGE", "REMS.QUANTITY_INVALID", "REMS.COUNSELING_INCOMPLETE"],
            ignoreOrder: true);
        d.Reasons.Single(r => r.Code == "REMS.COUNSELING_INCOMPLETE").Message.ShouldContain("counselor name");
    }
}
