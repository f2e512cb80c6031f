using NodaTime;

namespace ImidCare.Store.Entities;

public static class Roles
{
    public const string Admin = "admin";
    public const string Safety = "safety";
    public const string Prescriber = "prescriber";
    public const string Pharmacist = "pharmacist";
    public const string Patient = "patient";
    public const string Caregiver = "caregiver";

    /// <summary>An API key held by a pharmacy system; it acts for exactly one pharmacy.</summary>
    public const string PharmacySystem = "pharmacy-system";

    /// <summary>An API key held by a prescriber office; it acts for the prescribers of one practice.</summary>
    public const string PrescriberOffice = "prescriber-office";
}

public sealed class UserAccount
{
    public required string Id { get; set; }

    public required string Username { get; set; }

    public required string PasswordHash { get; set; }

    public required string Role { get; set; }

    public required string DisplayName { get; set; }

    public string? PrescriberId { get; set; }

    public string? PharmacyId { get; set; }

    public string? PatientId { get; set; }

    public int FailedLogins { get; set; }

    public Instant? LockedUntil { get; set; }

    public Instant CreatedAt { get; set; }

    /// <summary>Where reminder emails go (optional).</summary>
    public string? Email { get; set; }

    /// <summary>Whether the person wants an email when a reminder arrives (off unless they turn it on).</summary>
    public bool EmailReminders { get; set; }
}

public sealed class ApiClient
{
    public required string Id { get; set; }

    public required string Name { get; set; }

    /// <summary>SHA-256 of the key; the key itself is shown once, at creation.</summary>
    public required string KeyHash { get; set; }

    public required string Role { get; set; }

    public string? PharmacyId { get; set; }

    public string? PracticeId { get; set; }

    public Instant CreatedAt { get; set; }
}

public sealed class SessionToken
{
    public required string TokenHash { get; set; }

    public required string UserId { get; set; }

    public Instant ExpiresAt { get; set; }
}

public sealed class Practice
{
    public required string Id { get; set; }

    public required string Name { get; set; }
}

public sealed class Prescriber
{
    public required string Id { get; set; }

    public required string Npi { get; set; }

    public required string Name { get; set; }

    public required string PracticeId { get; set; }

    public Instant CreatedAt { get; set; }
}

/// <summary>What a prescriber's and a pharmacy's certification have in common: one state machine serves both.</summary>
public interface ICertification
{
    string ProgramId { get; }

    string Status { get; set; }

    string? StatusReason { get; set; }

    Instant? CertifiedAt { get; }

    Instant UpdatedAt { get; set; }
}

public sealed class PrescriberCertification : ICertification
{
    public required string Id { get; set; }

    public required string PrescriberId { get; set; }

    public required string ProgramId { get; set; }

    public required string Status { get; set; }

    public Instant TrainingAttestedAt { get; set; }

    public Instant? CertifiedAt { get; set; }

    public string? StatusReason { get; set; }

    public Instant UpdatedAt { get; set; }
}

public sealed class Pharmacy
{
    public required string Id { get; set; }

    public required string NcpdpId { get; set; }

    public required string Npi { get; set; }

    public required string Name { get; set; }

    /// <summary>"site" or "chain-headquarters".</summary>
    public required string Kind { get; set; }

    /// <summary>For a chain site, the headquarters that certifies it.</summary>
    public string? HeadquartersId { get; set; }

    public string? Address { get; set; }

    public string? RepresentativeName { get; set; }

    public Instant? RepresentativeAttestedAt { get; set; }

    public Instant CreatedAt { get; set; }
}

public sealed class PharmacyCertification : ICertification
{
    public required string Id { get; set; }

    public required string PharmacyId { get; set; }

    public required string ProgramId { get; set; }

    public required string Status { get; set; }

    public Instant? CertifiedAt { get; set; }

    public string? StatusReason { get; set; }

    public Instant UpdatedAt { get; set; }
}

public sealed class StaffTraining
{
    public required string Id { get; set; }

    public required string PharmacyId { get; set; }

    public required string StaffName { get; set; }

    public required string ProgramId { get; set; }

    public LocalDate CompletedOn { get; set; }

    public Instant RecordedAt { get; set; }
}
