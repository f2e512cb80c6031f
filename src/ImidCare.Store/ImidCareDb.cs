using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using NodaTime;

namespace ImidCare.Store;

/// <summary>
/// The one database model. Instants are stored as Unix ticks (UTC, 100 ns) so they compare and
/// sort the same on SQLite and PostgreSQL; dates as ISO dates.
/// </summary>
public sealed class ImidCareDb(DbContextOptions<ImidCareDb> options) : DbContext(options)
{
    /// <summary>The kept-open session this context belongs to, whose commands stay prepared; null for a pooled context.</summary>
    public SqlSession? Session { get; internal set; }

    private bool? postgres;

    /// <summary>
    /// Whether this context is on PostgreSQL, asked once: EF's IsNpgsql() compares the provider's
    /// assembly name, made afresh on each call, and the counter's writes ask on the single writer's
    /// path (1.5 % of its time in a profile, docs/benchmarks.md "Session 23").
    /// </summary>
    public bool IsPostgres => postgres ??= Database.IsNpgsql();

    /// <summary>Whether the save under way changes a row of a cached table (<see cref="DataGeneration.CachedTables"/>); set as each save begins.</summary>
    internal bool SavingCachedRows { get; set; } = true;

    public DbSet<UserAccount> Users => Set<UserAccount>();

    public DbSet<ApiClient> ApiClients => Set<ApiClient>();

    public DbSet<SessionToken> Sessions => Set<SessionToken>();

    public DbSet<Practice> Practices => Set<Practice>();

    public DbSet<Prescriber> Prescribers => Set<Prescriber>();

    public DbSet<PrescriberCertification> PrescriberCertifications => Set<PrescriberCertification>();

    public DbSet<Pharmacy> Pharmacies => Set<Pharmacy>();

    public DbSet<PharmacyCertification> PharmacyCertifications => Set<PharmacyCertification>();

    public DbSet<StaffTraining> StaffTrainings => Set<StaffTraining>();

    public DbSet<Patient> Patients => Set<Patient>();

    public DbSet<Enrollment> Enrollments => Set<Enrollment>();

    public DbSet<CategoryChange> CategoryChanges => Set<CategoryChange>();

    public DbSet<EnrollmentStatusChange> EnrollmentStatusChanges => Set<EnrollmentStatusChange>();

    public DbSet<Agreement> Agreements => Set<Agreement>();

    public DbSet<PregnancyTestRecord> PregnancyTests => Set<PregnancyTestRecord>();

    public DbSet<SurveyRecord> Surveys => Set<SurveyRecord>();

    public DbSet<HoldRecord> Holds => Set<HoldRecord>();

    public DbSet<SafetyCase> Cases => Set<SafetyCase>();

    public DbSet<AuthorizationRecord> Authorizations => Set<AuthorizationRecord>();

    public DbSet<ConfirmationRecord> Confirmations => Set<ConfirmationRecord>();

    public DbSet<DispenseRecord> Dispenses => Set<DispenseRecord>();

    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();

    public DbSet<AuditRecord> Audit => Set<AuditRecord>();

    public DbSet<TreatmentPlanRecord> TreatmentPlans => Set<TreatmentPlanRecord>();

    public DbSet<DoseEntryRecord> DoseEntries => Set<DoseEntryRecord>();

    public DbSet<LabResultRecord> LabResults => Set<LabResultRecord>();

    public DbSet<MyelomaAssessmentRecord> MyelomaAssessments => Set<MyelomaAssessmentRecord>();

    public DbSet<CaregiverGrant> CaregiverGrants => Set<CaregiverGrant>();

    public DbSet<CalendarFeed> CalendarFeeds => Set<CalendarFeed>();

    public DbSet<OutageRecord> Outages => Set<OutageRecord>();

    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();

    public DbSet<SeenJwtId> SeenJwtIds => Set<SeenJwtId>();

    public DbSet<ReminderRecord> Reminders => Set<ReminderRecord>();

    public DbSet<JobRunRecord> JobRuns => Set<JobRunRecord>();

    public DbSet<JobLeaseRecord> JobLeases => Set<JobLeaseRecord>();

    public DbSet<DataProtectionKeyRecord> DataProtectionKeys => Set<DataProtectionKeyRecord>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<Instant>().HaveConversion<InstantTicksConverter>();
        configurationBuilder.Properties<LocalDate>().HaveConversion<LocalDateConverter>();
        configurationBuilder.Properties<LocalTime>().HaveConversion<LocalTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<UserAccount>(e =>
        {
            e.ToTable("users").HasKey(x => x.Id);
            e.HasIndex(x => x.Username).IsUnique();
        });
        b.Entity<ApiClient>(e =>
        {
            e.ToTable("api_clients").HasKey(x => x.Id);
            e.HasIndex(x => x.KeyHash).IsUnique();
        });
        b.Entity<SessionToken>().ToTable("sessions").HasKey(x => x.TokenHash);
        b.Entity<Practice>().ToTable("practices").HasKey(x => x.Id);
        b.Entity<Prescriber>(e =>
        {
            e.ToTable("prescribers").HasKey(x => x.Id);
            e.HasIndex(x => x.Npi).IsUnique();
        });
        b.Entity<PrescriberCertification>(e =>
        {
            e.ToTable("prescriber_certifications").HasKey(x => x.Id);
            e.HasIndex(x => new { x.PrescriberId, x.ProgramId }).IsUnique();
        });
        b.Entity<Pharmacy>(e =>
        {
            e.ToTable("pharmacies").HasKey(x => x.Id);
            e.HasIndex(x => x.NcpdpId).IsUnique();
        });
        b.Entity<PharmacyCertification>(e =>
        {
            e.ToTable("pharmacy_certifications").HasKey(x => x.Id);
            e.HasIndex(x => new { x.PharmacyId, x.ProgramId }).IsUnique();
        });
        b.Entity<StaffTraining>(e =>
        {
            e.ToTable("staff_trainings").HasKey(x => x.Id);
            e.HasIndex(x => x.PharmacyId);
        });
        b.Entity<Patient>(e =>
        {
            e.ToTable("patients").HasKey(x => x.Id);
            e.HasIndex(x => x.PrescriberId);
        });
        b.Entity<Enrollment>(e =>
        {
            e.ToTable("enrollments").HasKey(x => x.Id);
            e.HasIndex(x => new { x.PatientId, x.ProgramId }).IsUnique();
        });
        b.Entity<CategoryChange>(e =>
        {
            e.ToTable("category_changes").HasKey(x => x.Id);
            e.HasIndex(x => x.EnrollmentId);
        });
        b.Entity<EnrollmentStatusChange>(e =>
        {
            e.ToTable("enrollment_status_changes").HasKey(x => x.Id);
            e.HasIndex(x => x.EnrollmentId);
        });
        b.Entity<Agreement>(e =>
        {
            e.ToTable("agreements").HasKey(x => x.Id);
            e.HasIndex(x => x.EnrollmentId);
        });
        b.Entity<PregnancyTestRecord>(e =>
        {
            e.ToTable("pregnancy_tests").HasKey(x => x.Id);
            e.HasIndex(x => x.PatientId);
            e.HasIndex(x => new { x.PatientId, x.Result, x.SpecimenAt });
        });
        b.Entity<SurveyRecord>(e =>
        {
            e.ToTable("surveys").HasKey(x => x.Id);
            e.HasIndex(x => new { x.PatientId, x.ProgramId, x.CompletedAt });
            e.HasIndex(x => new { x.PatientId, x.CompletedOn });
        });
        b.Entity<HoldRecord>(e =>
        {
            e.ToTable("holds").HasKey(x => x.Id);
            e.HasIndex(x => x.PatientId);
        });
        b.Entity<SafetyCase>(e =>
        {
            e.ToTable("cases").HasKey(x => x.Id);
            e.HasIndex(x => x.PatientId);
        });
        b.Entity<AuthorizationRecord>(e =>
        {
            e.ToTable("authorizations").HasKey(x => x.Number);
            e.HasIndex(x => x.PatientId);
            e.HasIndex(x => x.ExpiresAt);
            e.Property(x => x.Version).IsConcurrencyToken();
        });
        b.Entity<ConfirmationRecord>(e =>
        {
            e.ToTable("confirmations").HasKey(x => x.Number);
            e.HasIndex(x => x.AuthorizationNumber);
            e.Property(x => x.Version).IsConcurrencyToken();
        });
        b.Entity<DispenseRecord>(e =>
        {
            e.ToTable("dispenses").HasKey(x => x.Id);

            // One dispense per confirmation, enforced by the database as the last line of defence.
            e.HasIndex(x => x.ConfirmationNumber).IsUnique();
            e.HasIndex(x => new { x.PatientId, x.At });
        });
        b.Entity<IdempotencyRecord>(e =>
        {
            e.ToTable("idempotency").HasKey(x => new { x.CallerId, x.Key });

            // The purge of answers past their window deletes the oldest first (migration IdempotencyRetention).
            e.HasIndex(x => x.At);
        });
        b.Entity<TreatmentPlanRecord>(e =>
        {
            e.ToTable("treatment_plans").HasKey(x => x.Id);
            e.HasIndex(x => x.PatientId);
        });
        b.Entity<DoseEntryRecord>(e =>
        {
            e.ToTable("dose_entries").HasKey(x => x.Id);

            // One diary entry per patient and day, on every node and for every writer (migration OneDoseEntryPerDay).
            e.HasIndex(x => new { x.PatientId, x.Date }).IsUnique();
        });
        b.Entity<LabResultRecord>(e =>
        {
            e.ToTable("lab_results").HasKey(x => x.Id);
            e.HasIndex(x => new { x.PatientId, x.TakenOn });
        });
        b.Entity<MyelomaAssessmentRecord>(e =>
        {
            e.ToTable("myeloma_assessments").HasKey(x => x.Id);
            e.HasIndex(x => new { x.PatientId, x.Date });
        });
        b.Entity<CaregiverGrant>(e =>
        {
            e.ToTable("caregiver_grants").HasKey(x => x.Id);
            e.HasIndex(x => x.PatientId);
            e.HasIndex(x => x.CaregiverUserId);
        });
        b.Entity<CalendarFeed>(e =>
        {
            e.ToTable("calendar_feeds").HasKey(x => x.TokenHash);
            e.HasIndex(x => x.PatientId);
            e.HasIndex(x => x.Id).IsUnique();
        });
        b.Entity<OutageRecord>().ToTable("outages").HasKey(x => x.Id);
        b.Entity<OutboxMessage>(e =>
        {
            e.ToTable("interop_outbox").HasKey(x => x.Id);
            e.HasIndex(x => new { x.State, x.NextAttemptAt });
        });
        b.Entity<SeenJwtId>().ToTable("cds_jwt_ids").HasKey(x => new { x.Issuer, x.Jti });
        b.Entity<ReminderRecord>(e =>
        {
            e.ToTable("reminders").HasKey(x => x.Id);

            // The idempotency of the reminder job: one reminder per person, kind, subject and due date.
            e.HasIndex(x => new { x.UserId, x.Kind, x.Subject, x.DueOn }).IsUnique();
        });
        b.Entity<JobRunRecord>(e =>
        {
            e.ToTable("job_runs").HasKey(x => x.Id);
            e.HasIndex(x => new { x.Job, x.Slot }).IsUnique();
        });
        b.Entity<JobLeaseRecord>().ToTable("job_leases").HasKey(x => x.Job);
        b.Entity<DataProtectionKeyRecord>().ToTable("data_protection_keys").HasKey(x => x.Id);
        b.Entity<AuditRecord>(e =>
        {
            e.ToTable("audit").HasKey(x => x.Seq);
            e.Property(x => x.Seq).ValueGeneratedNever();
            e.HasIndex(x => x.Subject);
        });
    }
}

public sealed class InstantTicksConverter() : ValueConverter<Instant, long>(
    i => i.ToUnixTimeTicks(),
    t => Instant.FromUnixTimeTicks(t));

public sealed class LocalTimeConverter() : ValueConverter<LocalTime, TimeOnly>(
    t => t.ToTimeOnly(),
    t => LocalTime.FromTimeOnly(t));

public sealed class LocalDateConverter() : ValueConverter<LocalDate, DateOnly>(
    d => d.ToDateOnly(),
    d => LocalDate.FromDateOnly(d));
