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

    public static OpenHold ToRule(HoldRecord h) => new(h.Code, h.Why, Clearances(h));

    public static IReadOnlyList<HoldClearance> Clearances(HoldRecord h) =>
        [.. h.ClearedByList.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Enum.Parse<HoldClearance>)];

    public static async Task<PatientFacts?> LoadAsync(ImidCareDb db, string patientId, ProgramRules? program, Instant now, CancellationToken ct)
    {
        var patient = await db.Patients.FirstOrDefaultAsync(p => p.Id == patientId, ct);
        if (patient is null)
        {
            return null;
        }

        var enrollments = await db.Enrollments.Where(e => e.PatientId == patientId).ToListAsync(ct);
        var enrollment = program is null ? enrollments.FirstOrDefault() : enrollments.FirstOrDefault(e => e.ProgramId == program.Id);
        if (enrollment is null)
        {
            return null;
        }

        program ??= ProgramCatalog.Find(enrollment.ProgramId)!;
        var agreement = await db.Agreements.AnyAsync(a => a.EnrollmentId == enrollment.Id && a.TextVersion == program.AgreementTextVersion, ct);
        var holds = await db.Holds.Where(h => h.PatientId == patientId && h.ClearedAt == null).ToListAsync(ct);
        var tests = (await db.PregnancyTests.Where(t => t.PatientId == patientId).ToListAsync(ct))
            .Select(t => new PregnancyTest(t.SpecimenAt, Enum.Parse<TestResult>(t.Result), t.SensitivityMiuPerMl, Enum.Parse<TestSetting>(t.Setting)))
            .ToList();
        var lastSurvey = await db.Surveys.Where(s => s.PatientId == patientId && s.ProgramId == program.Id)
            .OrderByDescending(s => s.CompletedAt).Select(s => (LocalDate?)s.CompletedOn).FirstOrDefaultAsync(ct);
        var lastDispense = await db.Dispenses.Where(d => d.PatientId == patientId)
            .OrderByDescending(d => d.At).Select(d => new { d.DispensedOn, d.DaysSupply }).FirstOrDefaultAsync(ct);
        var nowTicks = now;
        var missed = await db.Authorizations
            .Where(a => a.PatientId == patientId && a.ProgramId == program.Id && a.State == nameof(AuthorizationState.Active) && a.AnchorTestDate != null && a.ExpiresAt <= nowTicks)
            .Select(a => a.AnchorTestDate!.Value).ToListAsync(ct);
        var certification = await db.PrescriberCertifications
            .Where(c => c.PrescriberId == patient.PrescriberId && c.ProgramId == program.Id).Select(c => c.Status).FirstOrDefaultAsync(ct);
        return new PatientFacts(
            patient,
            enrollment,
            program,
            Enum.Parse<RiskCategory>(enrollment.Category),
            agreement,
            holds,
            tests,
            lastSurvey,
            lastDispense is null ? null : new PreviousDispense(lastDispense.DispensedOn, lastDispense.DaysSupply),
            lastDispense is null,
            [.. missed.Select(d => new MissedWindow(d))],
            certification is null ? null : Enum.Parse<CertificationStatus>(certification));
    }
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
