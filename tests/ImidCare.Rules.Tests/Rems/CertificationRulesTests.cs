using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using Shouldly;

namespace ImidCare.Rules.Tests.Rems;

public class CertificationRulesTests
{
    private static readonly ProgramRules Len = ProgramCatalog.Lenalidomide;

    private static CategoryResult Category(bool minor) => RiskCategoryRules.Derive(
        new ReproductiveFacts(Sex.Male, minor ? Ny.Date(2010, 1, 1) : Ny.Date(1970, 1, 1), false, false, false, false), CategoryScheme.SexAndAge, 18, Ny.Date(2026, 6, 15));

    private static PatientEnrollmentFacts Patient(bool minor = false, bool guardian = false, string? version = null, CertificationStatus? prescriber = CertificationStatus.Certified, bool signed = true) =>
        new(Len, Category(minor), prescriber, signed, version ?? Len.AgreementTextVersion, guardian);

    [Fact]
    public void Patient_Adult_Allowed() => CertificationRules.Patient(Patient()).IsAllowed.ShouldBeTrue();

    [Fact]
    public void Patient_Minor_WithoutGuardian_Refused()
    {
        var cat = Category(minor: true);
        cat.IsMinor.ShouldBeTrue();
        CertificationRules.Patient(Patient(minor: true)).Codes().ShouldBe(["REMS.GUARDIAN_REQUIRED"]);
    }

    [Fact]
    public void Patient_Minor_SignedByGuardian_Allowed() => CertificationRules.Patient(Patient(minor: true, guardian: true)).IsAllowed.ShouldBeTrue();

    [Fact]
    public void Patient_EveryFailure_ListedAtOnce() =>
        CertificationRules.Patient(Patient(minor: true, version: "OLD", prescriber: CertificationStatus.Suspended)).Codes()
            .ShouldBe(["REMS.PRESCRIBER_DEACTIVATED", "REMS.AGREEMENT_NOT_SIGNED", "REMS.GUARDIAN_REQUIRED"], ignoreOrder: true);

    [Fact]
    public void Patient_CategoryRefused_PassesTheRefusalThrough()
    {
        var bad = RiskCategoryRules.Derive(new ReproductiveFacts(Sex.Female, Ny.Date(1970, 1, 1), true, true, false, false), CategoryScheme.SexAndAge, 18, Ny.Date(2026, 6, 15));
        CertificationRules.Patient(Patient() with { Category = bad }).Codes().ShouldBe(["REMS.FACTS_CONTRADICT"]);
    }

    [Fact]
    public void Prescriber_EveryFailure_ListedAtOnce()
    {
        CertificationRules.Prescriber(new(Len, true, true, true)).IsAllowed.ShouldBeTrue();
        CertificationRules.Prescriber(new(Len, false, false, false)).Codes()
            .ShouldBe(["REMS.NPI_INVALID", "REMS.TRAINING_NOT_ATTESTED", "REMS.PRESCRIBER_AGREEMENT_MISSING"], ignoreOrder: true);
    }

    [Fact]
    public void Pharmacy_ChainModel_IsUnverified()
    {
        CertificationRules.Pharmacy(new(Len, true, true, true, 1, null, false)).IsAllowed.ShouldBeTrue();
        var d = CertificationRules.Pharmacy(new(Len, true, true, true, 0, CertificationStatus.Pending, true));
        d.Codes().ShouldBe(["REMS.STAFF_NOT_TRAINED", "REMS.CHAIN_HQ_NOT_CERTIFIED"], ignoreOrder: true);
        d.Reasons.Single(r => r.Code == "REMS.CHAIN_HQ_NOT_CERTIFIED").Unverified.ShouldBeTrue();
        d.UsesUnverifiedRules.ShouldBeTrue();
    }
}
