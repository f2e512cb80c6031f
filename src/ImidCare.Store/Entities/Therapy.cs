using NodaTime;

namespace ImidCare.Store.Entities;

/// <summary>A patient's treatment plan as the prescriber set it; the calendar is always computed from it.</summary>
public sealed class TreatmentPlanRecord
{
    public required string Id { get; set; }

    public required string PatientId { get; set; }

    public required string RegimenId { get; set; }

    public LocalDate Start { get; set; }

    public decimal? DoseMg { get; set; }

    public LocalTime UsualDoseTime { get; set; }

    public required string TimeZoneId { get; set; }

    /// <summary>Dose interruptions and resumptions, JSON array of the rules' Hold records.</summary>
    public required string HoldsJson { get; set; }

    /// <summary>Hemodialysis dates, JSON array of ISO dates.</summary>
    public required string DialysisDaysJson { get; set; }

    public bool HivPositive { get; set; }

    /// <summary>1 = every dosing day; 2 = every other dosing day ("15 mg every 48 hours", a renal starting dose).</summary>
    public int DoseIntervalDays { get; set; } = 1;

    public required string SetBy { get; set; }

    public Instant SetAt { get; set; }
}

public sealed class DoseEntryRecord
{
    public required string Id { get; set; }

    public required string PatientId { get; set; }

    public LocalDate Date { get; set; }

    /// <summary>taken, missed or skipped.</summary>
    public required string Status { get; set; }

    public int Capsules { get; set; }

    public required string RecordedBy { get; set; }

    public Instant RecordedAt { get; set; }
}

public sealed class LabResultRecord
{
    public required string Id { get; set; }

    public required string PatientId { get; set; }

    public LocalDate TakenOn { get; set; }

    public int? Anc { get; set; }

    public int? Platelets { get; set; }

    public decimal? HemoglobinGdL { get; set; }

    public required string RecordedBy { get; set; }

    public Instant RecordedAt { get; set; }
}

public sealed class MyelomaAssessmentRecord
{
    public required string Id { get; set; }

    public required string PatientId { get; set; }

    public LocalDate Date { get; set; }

    /// <summary>The rules' MyelomaAssessment as submitted, JSON.</summary>
    public required string ValuesJson { get; set; }

    public required string RecordedBy { get; set; }

    public Instant RecordedAt { get; set; }
}

/// <summary>A patient lets a caregiver see their companion data and keep their dose diary.</summary>
public sealed class CaregiverGrant
{
    public required string Id { get; set; }

    public required string PatientId { get; set; }

    public required string CaregiverUserId { get; set; }

    public Instant GrantedAt { get; set; }

    public Instant? RevokedAt { get; set; }
}

/// <summary>
/// A secret calendar-feed address: phone calendars subscribe without credentials, so the address
/// itself is the credential (stored hashed, revocable). The row is keyed by the hash, which the
/// address is looked up by; <see cref="Id"/> is what people and the API name a feed by, so ending
/// or listing one never carries the secret or its hash.
/// </summary>
public sealed class CalendarFeed
{
    public required string TokenHash { get; set; }

    /// <summary>The public id ("feed_…"), unrelated to the token.</summary>
    public required string Id { get; set; }

    public required string PatientId { get; set; }

    /// <summary>
    /// Who made it, as the audit trail names actors (a user's or an organisation key's id); null
    /// for a feed made before makers were recorded, which only the patient can then end.
    /// </summary>
    public string? MadeById { get; set; }

    /// <summary>The maker's role (patient, caregiver, prescriber, prescriber-office, admin, ...); null as <see cref="MadeById"/>.</summary>
    public string? MadeByRole { get; set; }

    /// <summary>The maker's display name when the feed was made, shown to the patient; null as <see cref="MadeById"/>.</summary>
    public string? MadeByName { get; set; }

    public Instant CreatedAt { get; set; }

    public Instant? RevokedAt { get; set; }
}
