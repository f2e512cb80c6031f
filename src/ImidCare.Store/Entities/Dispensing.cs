using NodaTime;

namespace ImidCare.Store.Entities;

public sealed class AuthorizationRecord
{
    public required string Number { get; set; }

    public required string PatientId { get; set; }

    public required string PrescriberId { get; set; }

    public required string ProgramId { get; set; }

    public required string Drug { get; set; }

    public required string Category { get; set; }

    public int DaysSupply { get; set; }

    public Instant IssuedAt { get; set; }

    public LocalDate ValidThrough { get; set; }

    public Instant ExpiresAt { get; set; }

    /// <summary>The specimen date of the test the window counts from, for patients who can get pregnant.</summary>
    public LocalDate? AnchorTestDate { get; set; }

    public required string State { get; set; }

    /// <summary>Optimistic concurrency: two pharmacies confirming at once, only one update matches.</summary>
    public int Version { get; set; }
}

public sealed class ConfirmationRecord
{
    public required string Number { get; set; }

    public required string AuthorizationNumber { get; set; }

    public required string PharmacyId { get; set; }

    public Instant IssuedAt { get; set; }

    public Instant ExpiresAt { get; set; }

    /// <summary>active, dispensed or reversed.</summary>
    public required string State { get; set; }

    public int Version { get; set; }

    /// <summary>The counseling checklist recorded before the fill (an NCPDP RxFill carries none), or null.</summary>
    public string? CounselingJson { get; set; }

    public Instant? CounseledAt { get; set; }
}

public sealed class DispenseRecord
{
    public required string Id { get; set; }

    public required string ConfirmationNumber { get; set; }

    public required string AuthorizationNumber { get; set; }

    public required string PatientId { get; set; }

    public required string PharmacyId { get; set; }

    public required string Ndc { get; set; }

    public int Quantity { get; set; }

    public int DaysSupply { get; set; }

    public LocalDate DispensedOn { get; set; }

    public Instant At { get; set; }

    public required string ChecklistJson { get; set; }
}

/// <summary>
/// A remembered answer to a request sent with an Idempotency-Key, so a retry gets the same answer;
/// honoured for 24 hours after <see cref="At"/>, then purged (the server's Writes.KeyRetention).
/// </summary>
public sealed class IdempotencyRecord
{
    public required string CallerId { get; set; }

    public required string Key { get; set; }

    public required string RequestHash { get; set; }

    public int StatusCode { get; set; }

    public required string ResponseJson { get; set; }

    public Instant At { get; set; }
}

public sealed class AuditRecord
{
    public long Seq { get; set; }

    public Instant At { get; set; }

    public required string Actor { get; set; }

    public required string ActorRole { get; set; }

    public string? OnBehalfOf { get; set; }

    public required string Action { get; set; }

    public required string Subject { get; set; }

    public required string DataJson { get; set; }

    public required string PrevHash { get; set; }

    public required string Hash { get; set; }
}

/// <summary>A program outage the administrator declared: windows open during it are extended by its length.</summary>
public sealed class OutageRecord
{
    public required string Id { get; set; }

    /// <summary>The program it affects, or null for all programs.</summary>
    public string? ProgramId { get; set; }

    public Instant From { get; set; }

    public Instant To { get; set; }

    public required string Reason { get; set; }

    public required string DeclaredBy { get; set; }

    public Instant DeclaredAt { get; set; }
}

/// <summary>A message to another system (an EHR), sent after the transaction that caused it commits, retried until delivered or given up.</summary>
public sealed class OutboxMessage
{
    public required string Id { get; set; }

    /// <summary>What it is, e.g. "fhir.communication".</summary>
    public required string Kind { get; set; }

    /// <summary>The absolute URL it is POSTed to.</summary>
    public required string Target { get; set; }

    /// <summary>The audit subject it concerns (patient/…, authorization/…).</summary>
    public required string Subject { get; set; }

    public required string PayloadJson { get; set; }

    public Instant CreatedAt { get; set; }

    public int Attempts { get; set; }

    public Instant NextAttemptAt { get; set; }

    /// <summary>pending, delivered or failed.</summary>
    public required string State { get; set; }

    public Instant? FinishedAt { get; set; }

    public string? LastError { get; set; }
}

/// <summary>A CDS Hooks JWT id seen from an issuer, kept until the token expires so a replay is refused.</summary>
public sealed class SeenJwtId
{
    public required string Issuer { get; set; }

    public required string Jti { get; set; }

    public Instant ExpiresAt { get; set; }
}
