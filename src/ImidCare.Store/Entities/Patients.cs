using NodaTime;

namespace ImidCare.Store.Entities;

public sealed class Patient
{
    public required string Id { get; set; }

    public required string Name { get; set; }

    public LocalDate DateOfBirth { get; set; }

    public required string Sex { get; set; }

    /// <summary>The enrolling prescriber; only they (and their practice's office key) see the patient.</summary>
    public required string PrescriberId { get; set; }

    public required string MenstrualPattern { get; set; }

    public string? GuardianName { get; set; }

    public Instant CreatedAt { get; set; }
}

public sealed class Enrollment
{
    public required string Id { get; set; }

    public required string PatientId { get; set; }

    public required string ProgramId { get; set; }

    public required string Category { get; set; }

    public required string Status { get; set; }

    public Instant EnrolledAt { get; set; }

    /// <summary>The date of the first dispense, which starts the on-therapy test schedule.</summary>
    public LocalDate? TherapyStart { get; set; }

    /// <summary>The reproductive facts as attested, JSON, so the category can be re-derived and explained.</summary>
    public required string FactsJson { get; set; }
}

public sealed class CategoryChange
{
    public required string Id { get; set; }

    public required string EnrollmentId { get; set; }

    public string? FromCategory { get; set; }

    public required string ToCategory { get; set; }

    public required string Reason { get; set; }

    public required string FactsJson { get; set; }

    public required string By { get; set; }

    public Instant At { get; set; }
}

/// <summary>An enrollment's status moved (deactivated, disenrolled, reactivated): who, when, why, from what.</summary>
public sealed class EnrollmentStatusChange
{
    public required string Id { get; set; }

    public required string EnrollmentId { get; set; }

    public required string FromStatus { get; set; }

    public required string ToStatus { get; set; }

    public required string Reason { get; set; }

    public required string By { get; set; }

    public Instant At { get; set; }
}

public sealed class Agreement
{
    public required string Id { get; set; }

    public required string EnrollmentId { get; set; }

    public required string SignedBy { get; set; }

    /// <summary>"patient" or "guardian".</summary>
    public required string SignerRole { get; set; }

    public Instant SignedAt { get; set; }

    public required string TextVersion { get; set; }

    public required string TextSha256 { get; set; }

    public required string WitnessedBy { get; set; }
}

public sealed class PregnancyTestRecord
{
    public required string Id { get; set; }

    public required string PatientId { get; set; }

    public Instant SpecimenAt { get; set; }

    public required string Result { get; set; }

    public int SensitivityMiuPerMl { get; set; }

    public required string Setting { get; set; }

    public required string VerifiedBy { get; set; }

    public Instant RecordedAt { get; set; }
}

public sealed class SurveyRecord
{
    public required string Id { get; set; }

    public required string PatientId { get; set; }

    public required string ProgramId { get; set; }

    public Instant CompletedAt { get; set; }

    public LocalDate CompletedOn { get; set; }

    public required string AnswersJson { get; set; }

    public required string Outcome { get; set; }
}

public sealed class HoldRecord
{
    public required string Id { get; set; }

    public required string PatientId { get; set; }

    public required string Code { get; set; }

    public required string Why { get; set; }

    /// <summary>Comma-separated HoldClearance names: what lifts this hold.</summary>
    public required string ClearedByList { get; set; }

    /// <summary>Comma-separated HoldClearance names already done.</summary>
    public string SatisfiedList { get; set; } = string.Empty;

    public Instant OpenedAt { get; set; }

    public Instant? ClearedAt { get; set; }

    public string? ClearedByActor { get; set; }

    public string? ClearNote { get; set; }
}

public sealed class SafetyCase
{
    public required string Id { get; set; }

    /// <summary>"pregnancy" or "adverse-event".</summary>
    public required string Kind { get; set; }

    public required string PatientId { get; set; }

    public required string ReportedBy { get; set; }

    public Instant OpenedAt { get; set; }

    public required string Status { get; set; }

    /// <summary>The MedWatch (FDA 3500) fields as submitted, JSON.</summary>
    public required string FieldsJson { get; set; }
}
