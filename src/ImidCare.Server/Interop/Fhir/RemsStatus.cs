using System.Text.Json;
using ImidCare.Rules;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Rems;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Interop.Fhir;

/// <summary>Who must act for a REMS requirement.</summary>
public enum Stakeholder
{
    Patient,
    Prescriber,
    Pharmacy,
    Prescription,
}

/// <summary>
/// One REMS requirement as the interop formats name it: the ETASU item name, the card's
/// stakeholder, the NCPDP denial code, and the form that satisfies it (if any).
/// </summary>
public sealed record Requirement(string Key, string Name, Stakeholder Stakeholder, string NcpdpCode, string Action, string? Questionnaire);

/// <summary>
/// The single table from our Decision reason codes to requirements. Every format (ETASU items,
/// cards, OperationOutcome issues, NCPDP reason codes) reads a decision through this table, so a
/// rule is never re-stated per format: the rules decide, this table only names.
/// </summary>
public static class Requirements
{
    public static readonly Requirement PrescriberCertification = new("prescriber-certification", "Prescriber Certification", Stakeholder.Prescriber, "ES",
        "The prescriber must be certified in the program.", QuestionnaireCatalog.PrescriberEnrollment);

    public static readonly Requirement PatientEnrollment = new("patient-enrollment", "Patient Enrollment", Stakeholder.Patient, "EM",
        "Enroll the patient and sign the Patient-Physician Agreement.", QuestionnaireCatalog.PatientEnrollment);

    public static readonly Requirement PregnancyTest = new("pregnancy-test", "Pregnancy Test", Stakeholder.Patient, "EM",
        "A qualifying negative pregnancy test must be on file.", null);

    public static readonly Requirement PatientSurvey = new("patient-survey", "Patient Survey", Stakeholder.Patient, "EM",
        "The patient must complete the mandatory survey.", QuestionnaireCatalog.PatientSurvey);

    public static readonly Requirement Hold = new("hold", "No Open Hold", Stakeholder.Patient, "EM",
        "The patient is on hold; clear the hold first.", null);

    public static readonly Requirement Prescription = new("prescription", "Prescription Limits", Stakeholder.Prescription, "EC",
        "The prescription must respect the program's limits (its maximum days' supply, no refills).", null);

    public static readonly Requirement PharmacyCertification = new("pharmacy-certification", "Pharmacy Certification", Stakeholder.Pharmacy, "EO",
        "The pharmacy must be certified in the program.", null);

    public static readonly Requirement Authorization = new("authorization", "Prescription Authorization", Stakeholder.Prescription, "EC",
        "A current, unused prescription authorization is needed.", null);

    public static readonly Requirement Other = new("other", "REMS Program", Stakeholder.Prescription, "ER", "See the reason.", null);

    /// <summary>The ETASU items reported for a program and patient category, in a stable order.</summary>
    public static IReadOnlyList<Requirement> For(RiskCategory? category, bool withPharmacy) =>
    [
        PrescriberCertification,
        PatientEnrollment,
        .. category?.CanGetPregnant() == true ? new[] { PregnancyTest } : [],
        PatientSurvey,
        Hold,
        Prescription,
        .. withPharmacy ? new[] { PharmacyCertification, Authorization } : [],
    ];

    public static Requirement Classify(string code)
    {
        var c = code.StartsWith("REMS.", StringComparison.Ordinal) ? code[5..] : code;
        return c switch
        {
            _ when c.StartsWith("PRESCRIBER_", StringComparison.Ordinal) => PrescriberCertification,
            _ when c.StartsWith("PATIENT_", StringComparison.Ordinal) || c.StartsWith("AGREEMENT_", StringComparison.Ordinal) => PatientEnrollment,
            _ when c.StartsWith("PREGNANCY_TEST_", StringComparison.Ordinal) || c.Contains("PRESTART_TEST", StringComparison.Ordinal)
                || c.StartsWith("TEST_", StringComparison.Ordinal) || c is "LOCKOUT" || c.EndsWith("_TEST_MISSING", StringComparison.Ordinal)
                || c.EndsWith("_TEST_MET", StringComparison.Ordinal) => PregnancyTest,
            _ when c.StartsWith("SURVEY_", StringComparison.Ordinal) => PatientSurvey,
            _ when c.StartsWith("HOLD_", StringComparison.Ordinal) || c is "NO_HOLD" => Hold,
            _ when c.StartsWith("DAYS_SUPPLY", StringComparison.Ordinal) || c.StartsWith("REFILLS", StringComparison.Ordinal) || c is "NO_REFILLS"
                || c.StartsWith("DRUG_", StringComparison.Ordinal) || c.StartsWith("COUNSELING_", StringComparison.Ordinal) || c.StartsWith("QUANTITY_", StringComparison.Ordinal) => Prescription,
            _ when c.StartsWith("PHARMACY_", StringComparison.Ordinal) => PharmacyCertification,
            _ when c.StartsWith("AUTHORIZATION_", StringComparison.Ordinal) || c.StartsWith("CONFIRMATION_", StringComparison.Ordinal)
                || c.StartsWith("CASE_", StringComparison.Ordinal) || c is "TOO_EARLY_TO_FILL" or "REFILL_WINDOW_OPEN" or "FIRST_FILL" => Authorization,
            _ => Other,
        };
    }

    /// <summary>The failing reasons of a decision grouped by requirement (empty when allowed).</summary>
    public static IReadOnlyList<(Requirement Requirement, IReadOnlyList<Reason> Reasons)> Missing(Decision d) => d.IsAllowed
        ? []
        : [.. d.Reasons.GroupBy(r => Classify(r.Code)).Select(g => (g.Key, (IReadOnlyList<Reason>)[.. g]))];
}

/// <summary>What the REMS rules say for one patient and drug, and at which stage.</summary>
public sealed record RemsOutcome(PatientFacts Facts, string Drug, Decision Decision, AuthorizationRecord? Authorization, string Stage)
{
    public string CaseNumber => RemsStatus.CaseNumber(Facts);

    public ProgramRules Program => Facts.Program;
}

/// <summary>
/// The one place the interop channels ask the rules. It loads facts with <see cref="PatientFacts"/>
/// (as the JSON API does) and calls the same <see cref="AuthorizationRules"/> and
/// <see cref="DispensingRules"/>; the formats only render the Decision.
/// </summary>
public static class RemsStatus
{
    public const string StagePrescribing = "prescribing";
    public const string StageDispensing = "dispensing";

    /// <summary>The REMS case number is our enrollment id: one per patient and program, stable for its life.</summary>
    public static string CaseNumber(PatientFacts f) => f.Enrollment.Id;

    /// <summary>
    /// The prescriber survey's decision for a prescription of <paramref name="daysSupply"/> days and
    /// <paramref name="refills"/> refills. Counseling is attested inside the survey itself, so it is
    /// taken as given here: cards and ETASU report what the patient and prescriber still need.
    /// </summary>
    public static Decision Prescribing(PatientFacts f, string drug, Instant now, int daysSupply, int refills) =>
        AuthorizationRules.Evaluate(new AuthorizationFacts(
            f.Program, now, drug, f.PrescriberCertification, Enum.Parse<EnrollmentStatus>(f.Enrollment.Status), f.Category, f.AgreementSigned, f.Holds, f.Tests,
            f.FirstPrescription, f.LastPatientSurvey, daysSupply, refills, true, f.MissedWindows)).Decision;

    public static async Task<ConfirmationDecision> ConfirmAsync(ImidCareDb db, PatientFacts f, AuthorizationRecord a, string pharmacyId, Instant now, CancellationToken ct) =>
        DispensingRules.Confirm(await AuthorizationEndpoints.ConfirmationFactsAsync(db, f, a, pharmacyId, now, ct));

    /// <summary>The patient's newest authorization in the program that is not dispensed or revoked (it may be expired).</summary>
    public static Task<AuthorizationRecord?> OpenAuthorizationAsync(ImidCareDb db, string patientId, string programId, CancellationToken ct) =>
        db.Authorizations.Where(a => a.PatientId == patientId && a.ProgramId == programId
                && (a.State == nameof(AuthorizationState.Active) || a.State == nameof(AuthorizationState.Confirmed)))
            .OrderByDescending(a => a.IssuedAt).FirstOrDefaultAsync(ct);

    /// <summary>
    /// The status a caller asks about: a pharmacy with an open authorization in hand gets the
    /// confirmation decision for itself; everyone else gets the prescriber-survey decision.
    /// </summary>
    public static async Task<RemsOutcome> EvaluateAsync(ImidCareDb db, Caller caller, PatientFacts f, string drug, Instant now, int? daysSupply, int? refills, CancellationToken ct)
    {
        if (caller.IsPharmacy && await OpenAuthorizationAsync(db, f.Patient.Id, f.Program.Id, ct) is { } a)
        {
            return new RemsOutcome(f, drug, (await ConfirmAsync(db, f, a, caller.PharmacyId!, now, ct)).Decision, a, StageDispensing);
        }

        return new RemsOutcome(f, drug, Prescribing(f, drug, now, daysSupply ?? f.Program.MaxDaysSupply.Value, refills ?? 0), null, StagePrescribing);
    }
}

/// <summary>The answer to "which of our patients is this EHR patient?".</summary>
public sealed record PatientMatch(Store.Entities.Patient? Patient, int Candidates, string How)
{
    public bool Found => Patient is not null;

    public bool Ambiguous => Patient is null && Candidates > 1;
}

/// <summary>
/// Matches EHR/pharmacy patients to our enrolled patients: first by our REMS patient id (an
/// identifier with system <see cref="Systems.RemsPatientId"/>, or a case number), then by our own
/// id if the EHR happens to use it, then by name + birth date. Only patients the caller may see
/// are considered; pharmacies (who hold the prescription) may match by name and birth date.
/// </summary>
public static class PatientMatcher
{
    public static async Task<PatientMatch> MatchAsync(ImidCareDb db, Caller caller, JsonElement patient, string? contextId, CancellationToken ct)
    {
        foreach (var identifier in FhirInput.Array(patient, "identifier"))
        {
            var system = FhirInput.Str(identifier, "system");
            var value = FhirInput.Str(identifier, "value");
            if (value is not null && (system == Systems.RemsPatientId || system == Systems.RemsCaseNumber))
            {
                return await ByOurIdAsync(db, caller, value, "identifier", ct);
            }
        }

        foreach (var id in new[] { FhirInput.Str(patient, "id"), FhirFormat.LastSegment(contextId) })
        {
            if (id is not null && FhirFormat.Ours(id) is var ours && ours.StartsWith("pat_", StringComparison.Ordinal)
                && await ByOurIdAsync(db, caller, ours, "id", ct) is { Found: true } m)
            {
                return m;
            }
        }

        var birth = FhirInput.Date(FhirInput.Str(patient, "birthDate"));
        var name = FhirInput.Array(patient, "name").FirstOrDefault();
        var family = FhirInput.Str(name, "family");
        var given = FhirInput.Array(name, "given").Select(g => g.ValueKind == JsonValueKind.String ? g.GetString() : null).FirstOrDefault();
        if (birth is null || (family is null && FhirInput.Str(name, "text") is null))
        {
            return new PatientMatch(null, 0, "insufficient demographics");
        }

        return await ByNameAsync(db, caller, given ?? string.Empty, family ?? FhirInput.Str(name, "text")!, birth.Value, ct);
    }

    /// <summary>By our patient id, a case number (enrollment id), or an authorization number (the NewRx carries it as the case number).</summary>
    public static async Task<PatientMatch> ByOurIdAsync(ImidCareDb db, Caller caller, string value, string how, CancellationToken ct)
    {
        var v = value.Trim();
        if (RemsNumber.TryParse(v, 'A', out var authorization, out _))
        {
            v = await db.Authorizations.Where(a => a.Number == authorization.Value.Value).Select(a => a.PatientId).FirstOrDefaultAsync(ct) ?? v;
        }

        var patientId = v.StartsWith("enr_", StringComparison.Ordinal)
            ? await db.Enrollments.Where(e => e.Id == v).Select(e => e.PatientId).FirstOrDefaultAsync(ct)
            : FhirFormat.Ours(v);
        var p = patientId is null ? null : await db.Patients.AsNoTracking().FirstOrDefaultAsync(x => x.Id == patientId, ct);
        return p is not null && await MayUseAsync(db, caller, p, ct) ? new PatientMatch(p, 1, how) : new PatientMatch(null, 0, how);
    }

    public static async Task<PatientMatch> ByNameAsync(ImidCareDb db, Caller caller, string given, string family, LocalDate birth, CancellationToken ct)
    {
        var sameBirth = await db.Patients.AsNoTracking().Where(p => p.DateOfBirth == birth).ToListAsync(ct);
        var matches = new List<Store.Entities.Patient>();
        foreach (var p in sameBirth.Where(p => NameMatches(p.Name, given, family)))
        {
            if (await MayUseAsync(db, caller, p, ct))
            {
                matches.Add(p);
            }
        }

        return matches.Count == 1 ? new PatientMatch(matches[0], 1, "name+birthDate") : new PatientMatch(null, matches.Count, "name+birthDate");
    }

    public static bool NameMatches(string ours, string given, string family)
    {
        var tokens = ours.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (tokens.Length == 0)
        {
            return false;
        }

        var familyOk = string.Equals(tokens[^1], family.Trim(), StringComparison.OrdinalIgnoreCase)
            || ours.EndsWith(" " + family.Trim(), StringComparison.OrdinalIgnoreCase);
        var givenOk = given.Length == 0 || string.Equals(tokens[0], given.Trim(), StringComparison.OrdinalIgnoreCase);
        return familyOk && givenOk;
    }

    /// <summary>Prescriber side and staff: their own patients. A pharmacy: any enrolled patient it names exactly (it holds the prescription).</summary>
    private static async Task<bool> MayUseAsync(ImidCareDb db, Caller caller, Store.Entities.Patient p, CancellationToken ct) =>
        caller.IsPharmacy || await Access.CanSeePatientAsync(db, caller, p, ct);
}
