using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Rems;

/// <summary>
/// Everything the REMS rules need about one patient in one program, loaded in one place so every
/// channel (JSON API, and later FHIR, CDS Hooks and NCPDP) decides from the same facts.
/// </summary>
public sealed record PatientFacts(
    Patient Patient,
    Enrollment Enrollment,
    ProgramRules Program,
    RiskCategory Category,
    bool AgreementSigned,
    IReadOnlyList<HoldRecord> OpenHoldRecords,
    IReadOnlyList<PregnancyTest> Tests,
    LocalDate? LastPatientSurvey,
    PreviousDispense? LastDispense,
    bool FirstPrescription,
    IReadOnlyList<MissedWindow> MissedWindows,
    CertificationStatus? PrescriberCertification)
{
    public IReadOnlyList<OpenHold> Holds => [.. OpenHoldRecords.Select(ToRule)];

    /// <summary>
    /// Before the first prescription of a patient who can get pregnant: the last moment the tests on
    /// file support it (<see cref="PregnancyTestRules.FirstPrescriptionUntil"/>); null for anyone else,
    /// or when the tests do not support one now.
    /// </summary>
    public Instant? FirstPrescriptionUntil(Instant now) =>
        FirstPrescription && Category.CanGetPregnant() ? PregnancyTestRules.FirstPrescriptionUntil(Tests, Program, now) : null;

    public static OpenHold ToRule(HoldRecord h) => new(h.Code, h.Why, Clearances(h));

    public static IReadOnlyList<HoldClearance> Clearances(HoldRecord h) => Clearances(h.ClearedByList);

    /// <summary>A hold's stored "cleared by" list.</summary>
    public static IReadOnlyList<HoldClearance> Clearances(string clearedByList) =>
        [.. clearedByList.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Enum.Parse<HoldClearance>)];

    public static async Task<PatientFacts?> LoadAsync(ImidCareDb db, string patientId, ProgramRules? program, Instant now, CancellationToken ct)
    {
        var patient = await FactsQuery.PatientAsync(db, patientId, ct);
        return patient is null ? null : await LoadAsync(db, patient, program, now, ct);
    }

    /// <summary>The facts of a patient already loaded; without a program, the patient's first enrollment's.</summary>
    public static async Task<PatientFacts?> LoadAsync(ImidCareDb db, Patient patient, ProgramRules? program, Instant now, CancellationToken ct)
    {
        program ??= await ProgramOfAsync(db, patient.Id, ct);
        return program is null ? null : await FactsQuery.LoadAsync(db, patient, program, now, ct);
    }

    /// <summary>The program of the patient's first enrollment; null when the patient has none.</summary>
    public static async Task<ProgramRules?> ProgramOfAsync(ImidCareDb db, string patientId, CancellationToken ct) =>
        await db.Enrollments.AsNoTracking().Where(e => e.PatientId == patientId).Select(e => e.ProgramId).FirstOrDefaultAsync(ct) is { } programId
            ? ProgramCatalog.Find(programId)
            : null;
}

/// <summary>Who may see or act for a patient.</summary>
public static class Access
{
    public static async Task<bool> CanSeePatientAsync(ImidCareDb db, Caller caller, Patient patient, CancellationToken ct)
    {
        if (caller.IsStaff)
        {
            return true;
        }

        return caller.Role switch
        {
            Roles.Prescriber => patient.PrescriberId == caller.PrescriberId,
            Roles.PrescriberOffice => await db.Prescribers.AnyAsync(p => p.Id == patient.PrescriberId && p.PracticeId == caller.PracticeId, ct),
            Roles.Patient => patient.Id == caller.PatientId,
            Roles.Caregiver => await db.CaregiverGrants.AnyAsync(g => g.PatientId == patient.Id && g.CaregiverUserId == caller.Id && g.RevokedAt == null, ct),
            _ => false,
        };
    }

    /// <summary>Prescriber-side callers act for a prescriber: themselves, or (an office key) one of their practice's.</summary>
    public static async Task<string?> ActingPrescriberAsync(ImidCareDb db, Caller caller, string? requested, CancellationToken ct)
    {
        if (caller.Role == Roles.Prescriber)
        {
            return requested is null || requested == caller.PrescriberId ? caller.PrescriberId : null;
        }

        if (caller.Role == Roles.PrescriberOffice && requested is not null)
        {
            return await db.Prescribers.AnyAsync(p => p.Id == requested && p.PracticeId == caller.PracticeId, ct) ? requested : null;
        }

        return null;
    }
}
