using NodaTime;

namespace ImidCare.Store.Entities;

/// <summary>
/// One reminder for one person, derived from a rule (its code and source kept with it). The
/// database allows one per (user, kind, subject, due date), so a rerun of the job, or a second node
/// doing the same run, cannot create a duplicate.
/// </summary>
public sealed class ReminderRecord
{
    public required string Id { get; set; }

    public required string UserId { get; set; }

    /// <summary>The patient it is about, when it is about one (used for access and links).</summary>
    public string? PatientId { get; set; }

    /// <summary>What it is about: a patient id, an authorization or confirmation number.</summary>
    public required string Subject { get; set; }

    public required string Kind { get; set; }

    public LocalDate DueOn { get; set; }

    public required string Title { get; set; }

    public required string Detail { get; set; }

    public required string RuleCode { get; set; }

    public required string RuleMessage { get; set; }

    public required string RuleSource { get; set; }

    /// <summary>The evidence tag of the fact sheets behind the rule.</summary>
    public required string RuleEvidence { get; set; }

    public bool Unverified { get; set; }

    /// <summary>Where in the application to act on it (a path, never an absolute address).</summary>
    public required string Link { get; set; }

    public Instant CreatedAt { get; set; }

    public Instant? ReadAt { get; set; }

    /// <summary>Set when an email was claimed for sending; cleared again if the send failed.</summary>
    public Instant? EmailedAt { get; set; }
}

/// <summary>One run of a scheduled job for one time slot; unique per (job, slot), so a slot runs once across all nodes.</summary>
public sealed class JobRunRecord
{
    public required string Id { get; set; }

    public required string Job { get; set; }

    /// <summary>The slot number: Unix ticks of the slot start divided by the interval.</summary>
    public long Slot { get; set; }

    public required string Node { get; set; }

    public Instant StartedAt { get; set; }

    public Instant? FinishedAt { get; set; }

    public int Created { get; set; }

    public int Emailed { get; set; }
}

/// <summary>Who runs a job now, until when: a node that dies mid-run loses the lease when it expires.</summary>
public sealed class JobLeaseRecord
{
    public required string Job { get; set; }

    public required string Holder { get; set; }

    public Instant ExpiresAt { get; set; }
}

/// <summary>An ASP.NET Core Data Protection key (XML), shared by every node so a login cookie made by one is read by all.</summary>
public sealed class DataProtectionKeyRecord
{
    public required string Id { get; set; }

    public required string FriendlyName { get; set; }

    public required string Xml { get; set; }

    public Instant CreatedAt { get; set; }
}
