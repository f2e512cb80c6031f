namespace ImidCare.Server.Interop.Fhir;

/// <summary>
/// The REMS forms we publish as FHIR Questionnaires for DTR-style SMART apps. They mirror the JSON
/// API's request fields (enrollment: reproductive facts and agreement; survey: the risk answers),
/// so a completed QuestionnaireResponse carries exactly what the rules read, and $submit
/// (<see cref="FhirSubmit"/>) hands it to the same enrollment and survey cores.
/// </summary>
public static class QuestionnaireCatalog
{
    public const string PatientEnrollment = "imidcare-patient-enrollment";
    public const string PrescriberEnrollment = "imidcare-prescriber-enrollment";
    public const string PatientSurvey = "imidcare-patient-survey";

    public static readonly IReadOnlyList<string> Ids = [PatientEnrollment, PrescriberEnrollment, PatientSurvey];

    public static Questionnaire? Find(string id, string fhirBase) => id switch
    {
        PatientEnrollment => new Questionnaire
        {
            Id = id, Url = $"{fhirBase}/Questionnaire/{id}", Name = "ImidCarePatientEnrollment", Title = "REMS Patient Enrollment and Patient-Physician Agreement",
            Status = "active", SubjectType = ["Patient"],
            Description = "Enrollment in the Lenalidomide, PS-Pomalidomide or THALOMID REMS: the facts that decide the risk category, and the signed agreement.",
            Item =
            [
                new("program", "choice", "Program (LEN, POM or THAL)", true),
                new("sex", "choice", "Sex assigned at birth (female or male)", true),
                new("menses-last-24-months", "boolean", "Menses at any time in the preceding 24 consecutive months", true),
                new("natural-menopause-24-months", "boolean", "Natural menopause for at least 24 consecutive months"),
                new("hysterectomy", "boolean", "Hysterectomy"),
                new("bilateral-oophorectomy", "boolean", "Bilateral oophorectomy"),
                new("menstrual-pattern", "choice", "Menstrual pattern (regular, irregular or none); required for a female patient"),
                new("agreement-accepted", "boolean", "I have read and accept the Patient-Physician Agreement", true),
                new("signed-by", "string", "Signed by (patient or parent/guardian)", true),
                new("signer-role", "choice", "The signer is the patient or a parent/guardian (default: patient)"),
                new("guardian-name", "string", "Parent or guardian (for a child)"),
            ],
        },
        PrescriberEnrollment => new Questionnaire
        {
            Id = id, Url = $"{fhirBase}/Questionnaire/{id}", Name = "ImidCarePrescriberEnrollment", Title = "REMS Prescriber Enrollment", Status = "active",
            SubjectType = ["Practitioner"], Description = "Prescriber certification: training and the prescriber agreement are attested; the NPI is checked.",
            Item =
            [
                new("npi", "string", "NPI", true),
                new("program", "choice", "Program (LEN, POM or THAL)", true),
                new("training-attested", "boolean", "I completed the REMS prescriber training", true),
                new("agreement-attested", "boolean", "I agree to the REMS prescriber agreement", true),
            ],
        },
        PatientSurvey => new Questionnaire
        {
            Id = id, Url = $"{fhirBase}/Questionnaire/{id}", Name = "ImidCarePatientSurvey", Title = "REMS Mandatory Patient Survey", Status = "active",
            SubjectType = ["Patient"], Description = "The patient's mandatory survey; risk answers put the patient on hold.",
            Item =
            [
                new("shared-capsules", "boolean", "I shared my capsules with someone", true),
                new("donated-blood", "boolean", "I donated blood", true),
                new("donated-sperm", "boolean", "I donated sperm", true),
                new("missed-contraception", "boolean", "I missed any of the required contraception", true),
                new("unprotected-contact", "boolean", "I had unprotected sexual contact since my last survey", true),
                new("possible-pregnancy", "boolean", "I might be pregnant, missed a period or had unusual bleeding", true),
            ],
        },
        _ => null,
    };
}
