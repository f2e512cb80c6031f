using ImidCare.Rules.Programs;

namespace ImidCare.Rules.Rems;

public sealed record PrescriberEnrollmentFacts(ProgramRules Program, bool NpiValid, bool TrainingAttested, bool AgreementToRemsRequirements);

public sealed record PharmacyCertificationFacts(
    ProgramRules Program,
    bool IdentifiersValid,
    bool HasAuthorizedRepresentative,
    bool RepresentativeAttested,
    int TrainedStaff,
    CertificationStatus? ChainHeadquarters,
    bool IsChainSite);

public sealed record PatientEnrollmentFacts(
    ProgramRules Program,
    CategoryResult Category,
    CertificationStatus? PrescriberCertification,
    bool AgreementSigned,
    string? AgreementTextVersion,
    bool SignedByGuardian);

/// <summary>Who may take part: certification of prescribers and pharmacies, enrollment of patients.</summary>
public static class CertificationRules
{
    private static readonly RuleSource PrescriberEnrollment = RuleSource.Verified(
        "REMS: complete the Prescriber Enrollment Form after reviewing the PI and the REMS education (facts §2.1)", "S");

    private static readonly RuleSource PharmacyCertification = RuleSource.Verified(
        "REMS: the pharmacy certifies with the program; dispensing pharmacists are educated on the REMS (facts §2.2)", "S");

    // The chain-headquarters and authorized-representative model is from the Bosentan REMS, not confirmed for BMS (facts Q11).
    private static readonly RuleSource ChainModel = RuleSource.UnverifiedRule(
        "Bosentan REMS chain-headquarters model with an authorized representative (facts §2.2, Q11)", "S2");

    private static readonly RuleSource Agreement = RuleSource.Verified(
        "REMS: enroll each patient with the signed Patient-Physician Agreement for the risk category; a guardian signs for a minor (facts §2.3)", "S");

    public static Decision Prescriber(PrescriberEnrollmentFacts f) => Decision.Combine(
    [
        AuthorizationRules.Check(f.NpiValid, "REMS.NPI_INVALID", "The NPI is not valid.", "REMS.NPI_VALID", "The NPI is valid.", PrescriberEnrollment),
        AuthorizationRules.Check(f.TrainingAttested, "REMS.TRAINING_NOT_ATTESTED", $"The prescriber must attest to completing the {f.Program.Name} education.",
            "REMS.TRAINING_ATTESTED", "REMS education attested.", PrescriberEnrollment),
        AuthorizationRules.Check(f.AgreementToRemsRequirements, "REMS.PRESCRIBER_AGREEMENT_MISSING", "The prescriber must agree to the program's requirements.",
            "REMS.PRESCRIBER_AGREEMENT", "Program requirements agreed.", PrescriberEnrollment),
    ]);

    public static Decision Pharmacy(PharmacyCertificationFacts f) => Decision.Combine(
    [
        AuthorizationRules.Check(f.IdentifiersValid, "REMS.PHARMACY_IDS_INVALID", "The pharmacy's NCPDP ID or NPI is not valid.",
            "REMS.PHARMACY_IDS_VALID", "NCPDP ID and NPI valid.", PharmacyCertification),
        AuthorizationRules.Check(f.HasAuthorizedRepresentative && f.RepresentativeAttested, "REMS.AUTHORIZED_REPRESENTATIVE_MISSING",
            "An authorized representative must be named and attest for the pharmacy.", "REMS.AUTHORIZED_REPRESENTATIVE", "Authorized representative attested.", ChainModel),
        AuthorizationRules.Check(f.TrainedStaff > 0, "REMS.STAFF_NOT_TRAINED", "At least one dispensing pharmacist must have completed the REMS training.",
            "REMS.STAFF_TRAINED", $"{f.TrainedStaff} trained staff.", PharmacyCertification),
        AuthorizationRules.Check(!f.IsChainSite || f.ChainHeadquarters == CertificationStatus.Certified, "REMS.CHAIN_HQ_NOT_CERTIFIED",
            "The chain headquarters that certifies this site is not certified.", "REMS.CHAIN_OK", "Chain headquarters certified, or an independent site.", ChainModel),
    ]);

    public static Decision Patient(PatientEnrollmentFacts f)
    {
        if (!f.Category.Decision.IsAllowed)
        {
            return f.Category.Decision;
        }

        return Decision.Combine(
        [
            f.Category.Decision,
            AuthorizationRules.Check(f.PrescriberCertification == CertificationStatus.Certified, Deactivation.Prescriber(f.PrescriberCertification),
                "Only a certified prescriber may enroll patients.", "REMS.PRESCRIBER_CERTIFIED", "The prescriber is certified.", PrescriberEnrollment),
            AuthorizationRules.Check(f.AgreementSigned && f.AgreementTextVersion == f.Program.AgreementTextVersion, "REMS.AGREEMENT_NOT_SIGNED",
                $"The Patient-Physician Agreement ({f.Program.AgreementTextVersion}) must be signed.", "REMS.AGREEMENT_SIGNED", "Agreement signed.", Agreement),
            AuthorizationRules.Check(!f.Category.IsMinor || f.SignedByGuardian, "REMS.GUARDIAN_REQUIRED",
                "The patient is a minor: a parent or guardian must sign the agreement.", "REMS.SIGNER_OK", "Signed by the right person.", Agreement),
        ]);
    }
}
