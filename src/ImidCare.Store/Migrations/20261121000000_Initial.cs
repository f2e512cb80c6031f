using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ImidCare.Store.Migrations;

/// <summary>
/// The first schema, written by hand (the EF design-time package does not restore here). Column
/// types are left to each provider's default mapping of the CLR type, so the same migration
/// creates the same schema on SQLite and PostgreSQL.
/// </summary>
[DbContext(typeof(ImidCareDb))]
[Migration("20261121000000_Initial")]
public sealed class Initial : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "users",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                Username = table.Column<string>(nullable: false),
                PasswordHash = table.Column<string>(nullable: false),
                Role = table.Column<string>(nullable: false),
                DisplayName = table.Column<string>(nullable: false),
                PrescriberId = table.Column<string>(nullable: true),
                PharmacyId = table.Column<string>(nullable: true),
                PatientId = table.Column<string>(nullable: true),
                FailedLogins = table.Column<int>(nullable: false),
                LockedUntil = table.Column<long>(nullable: true),
                CreatedAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_users", x => x.Id));

        migrationBuilder.CreateTable(
            name: "api_clients",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                Name = table.Column<string>(nullable: false),
                KeyHash = table.Column<string>(nullable: false),
                Role = table.Column<string>(nullable: false),
                PharmacyId = table.Column<string>(nullable: true),
                PracticeId = table.Column<string>(nullable: true),
                CreatedAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_api_clients", x => x.Id));

        migrationBuilder.CreateTable(
            name: "sessions",
            columns: table => new
            {
                TokenHash = table.Column<string>(nullable: false),
                UserId = table.Column<string>(nullable: false),
                ExpiresAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_sessions", x => x.TokenHash));

        migrationBuilder.CreateTable(
            name: "practices",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                Name = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_practices", x => x.Id));

        migrationBuilder.CreateTable(
            name: "prescribers",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                Npi = table.Column<string>(nullable: false),
                Name = table.Column<string>(nullable: false),
                PracticeId = table.Column<string>(nullable: false),
                CreatedAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_prescribers", x => x.Id));

        migrationBuilder.CreateTable(
            name: "prescriber_certifications",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                PrescriberId = table.Column<string>(nullable: false),
                ProgramId = table.Column<string>(nullable: false),
                Status = table.Column<string>(nullable: false),
                TrainingAttestedAt = table.Column<long>(nullable: false),
                CertifiedAt = table.Column<long>(nullable: true),
                StatusReason = table.Column<string>(nullable: true),
                UpdatedAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_prescriber_certifications", x => x.Id));

        migrationBuilder.CreateTable(
            name: "pharmacies",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                NcpdpId = table.Column<string>(nullable: false),
                Npi = table.Column<string>(nullable: false),
                Name = table.Column<string>(nullable: false),
                Kind = table.Column<string>(nullable: false),
                HeadquartersId = table.Column<string>(nullable: true),
                Address = table.Column<string>(nullable: true),
                RepresentativeName = table.Column<string>(nullable: true),
                RepresentativeAttestedAt = table.Column<long>(nullable: true),
                CreatedAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_pharmacies", x => x.Id));

        migrationBuilder.CreateTable(
            name: "pharmacy_certifications",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                PharmacyId = table.Column<string>(nullable: false),
                ProgramId = table.Column<string>(nullable: false),
                Status = table.Column<string>(nullable: false),
                CertifiedAt = table.Column<long>(nullable: true),
                StatusReason = table.Column<string>(nullable: true),
                UpdatedAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_pharmacy_certifications", x => x.Id));

        migrationBuilder.CreateTable(
            name: "staff_trainings",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                PharmacyId = table.Column<string>(nullable: false),
                StaffName = table.Column<string>(nullable: false),
                ProgramId = table.Column<string>(nullable: false),
                CompletedOn = table.Column<DateOnly>(nullable: false),
                RecordedAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_staff_trainings", x => x.Id));

        migrationBuilder.CreateTable(
            name: "patients",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                Name = table.Column<string>(nullable: false),
                DateOfBirth = table.Column<DateOnly>(nullable: false),
                Sex = table.Column<string>(nullable: false),
                PrescriberId = table.Column<string>(nullable: false),
                MenstrualPattern = table.Column<string>(nullable: false),
                GuardianName = table.Column<string>(nullable: true),
                CreatedAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_patients", x => x.Id));

        migrationBuilder.CreateTable(
            name: "enrollments",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                PatientId = table.Column<string>(nullable: false),
                ProgramId = table.Column<string>(nullable: false),
                Category = table.Column<string>(nullable: false),
                Status = table.Column<string>(nullable: false),
                EnrolledAt = table.Column<long>(nullable: false),
                TherapyStart = table.Column<DateOnly>(nullable: true),
                FactsJson = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_enrollments", x => x.Id));

        migrationBuilder.CreateTable(
            name: "category_changes",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                EnrollmentId = table.Column<string>(nullable: false),
                FromCategory = table.Column<string>(nullable: true),
                ToCategory = table.Column<string>(nullable: false),
                Reason = table.Column<string>(nullable: false),
                FactsJson = table.Column<string>(nullable: false),
                By = table.Column<string>(nullable: false),
                At = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_category_changes", x => x.Id));

        migrationBuilder.CreateTable(
            name: "agreements",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                EnrollmentId = table.Column<string>(nullable: false),
                SignedBy = table.Column<string>(nullable: false),
                SignerRole = table.Column<string>(nullable: false),
                SignedAt = table.Column<long>(nullable: false),
                TextVersion = table.Column<string>(nullable: false),
                TextSha256 = table.Column<string>(nullable: false),
                WitnessedBy = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_agreements", x => x.Id));

        migrationBuilder.CreateTable(
            name: "pregnancy_tests",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                PatientId = table.Column<string>(nullable: false),
                SpecimenAt = table.Column<long>(nullable: false),
                Result = table.Column<string>(nullable: false),
                SensitivityMiuPerMl = table.Column<int>(nullable: false),
                Setting = table.Column<string>(nullable: false),
                VerifiedBy = table.Column<string>(nullable: false),
                RecordedAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_pregnancy_tests", x => x.Id));

        migrationBuilder.CreateTable(
            name: "surveys",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                PatientId = table.Column<string>(nullable: false),
                ProgramId = table.Column<string>(nullable: false),
                CompletedAt = table.Column<long>(nullable: false),
                CompletedOn = table.Column<DateOnly>(nullable: false),
                AnswersJson = table.Column<string>(nullable: false),
                Outcome = table.Column<string>(nullable: false),
                DecisionJson = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_surveys", x => x.Id));

        migrationBuilder.CreateTable(
            name: "holds",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                PatientId = table.Column<string>(nullable: false),
                Code = table.Column<string>(nullable: false),
                Why = table.Column<string>(nullable: false),
                ClearedByList = table.Column<string>(nullable: false),
                SatisfiedList = table.Column<string>(nullable: false),
                OpenedAt = table.Column<long>(nullable: false),
                ClearedAt = table.Column<long>(nullable: true),
                ClearedByActor = table.Column<string>(nullable: true),
                ClearNote = table.Column<string>(nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_holds", x => x.Id));

        migrationBuilder.CreateTable(
            name: "cases",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                Kind = table.Column<string>(nullable: false),
                PatientId = table.Column<string>(nullable: false),
                ReportedBy = table.Column<string>(nullable: false),
                OpenedAt = table.Column<long>(nullable: false),
                Status = table.Column<string>(nullable: false),
                FieldsJson = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_cases", x => x.Id));

        migrationBuilder.CreateTable(
            name: "authorizations",
            columns: table => new
            {
                Number = table.Column<string>(nullable: false),
                PatientId = table.Column<string>(nullable: false),
                PrescriberId = table.Column<string>(nullable: false),
                ProgramId = table.Column<string>(nullable: false),
                Drug = table.Column<string>(nullable: false),
                Category = table.Column<string>(nullable: false),
                DaysSupply = table.Column<int>(nullable: false),
                IssuedAt = table.Column<long>(nullable: false),
                ValidThrough = table.Column<DateOnly>(nullable: false),
                ExpiresAt = table.Column<long>(nullable: false),
                AnchorTestDate = table.Column<DateOnly>(nullable: true),
                State = table.Column<string>(nullable: false),
                Version = table.Column<int>(nullable: false),
                DecisionJson = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_authorizations", x => x.Number));

        migrationBuilder.CreateTable(
            name: "confirmations",
            columns: table => new
            {
                Number = table.Column<string>(nullable: false),
                AuthorizationNumber = table.Column<string>(nullable: false),
                PharmacyId = table.Column<string>(nullable: false),
                IssuedAt = table.Column<long>(nullable: false),
                ExpiresAt = table.Column<long>(nullable: false),
                State = table.Column<string>(nullable: false),
                Version = table.Column<int>(nullable: false),
                DecisionJson = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_confirmations", x => x.Number));

        migrationBuilder.CreateTable(
            name: "dispenses",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                ConfirmationNumber = table.Column<string>(nullable: false),
                AuthorizationNumber = table.Column<string>(nullable: false),
                PatientId = table.Column<string>(nullable: false),
                PharmacyId = table.Column<string>(nullable: false),
                Ndc = table.Column<string>(nullable: false),
                Quantity = table.Column<int>(nullable: false),
                DaysSupply = table.Column<int>(nullable: false),
                DispensedOn = table.Column<DateOnly>(nullable: false),
                At = table.Column<long>(nullable: false),
                ChecklistJson = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_dispenses", x => x.Id));

        migrationBuilder.CreateTable(
            name: "idempotency",
            columns: table => new
            {
                CallerId = table.Column<string>(nullable: false),
                Key = table.Column<string>(nullable: false),
                RequestHash = table.Column<string>(nullable: false),
                StatusCode = table.Column<int>(nullable: false),
                ResponseJson = table.Column<string>(nullable: false),
                At = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_idempotency", x => new { x.CallerId, x.Key }));

        migrationBuilder.CreateTable(
            name: "audit",
            columns: table => new
            {
                Seq = table.Column<long>(nullable: false),
                At = table.Column<long>(nullable: false),
                Actor = table.Column<string>(nullable: false),
                ActorRole = table.Column<string>(nullable: false),
                OnBehalfOf = table.Column<string>(nullable: true),
                Action = table.Column<string>(nullable: false),
                Subject = table.Column<string>(nullable: false),
                DataJson = table.Column<string>(nullable: false),
                PrevHash = table.Column<string>(nullable: false),
                Hash = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_audit", x => x.Seq));

        migrationBuilder.CreateIndex(name: "ix_users_username", table: "users", column: "Username", unique: true);
        migrationBuilder.CreateIndex(name: "ix_api_clients_keyhash", table: "api_clients", column: "KeyHash", unique: true);
        migrationBuilder.CreateIndex(name: "ix_prescribers_npi", table: "prescribers", column: "Npi", unique: true);
        migrationBuilder.CreateIndex(name: "ix_prescriber_certifications_prescriberid_programid", table: "prescriber_certifications", columns: new[] { "PrescriberId", "ProgramId" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_pharmacies_ncpdpid", table: "pharmacies", column: "NcpdpId", unique: true);
        migrationBuilder.CreateIndex(name: "ix_pharmacy_certifications_pharmacyid_programid", table: "pharmacy_certifications", columns: new[] { "PharmacyId", "ProgramId" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_staff_trainings_pharmacyid", table: "staff_trainings", column: "PharmacyId");
        migrationBuilder.CreateIndex(name: "ix_patients_prescriberid", table: "patients", column: "PrescriberId");
        migrationBuilder.CreateIndex(name: "ix_enrollments_patientid_programid", table: "enrollments", columns: new[] { "PatientId", "ProgramId" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_category_changes_enrollmentid", table: "category_changes", column: "EnrollmentId");
        migrationBuilder.CreateIndex(name: "ix_agreements_enrollmentid", table: "agreements", column: "EnrollmentId");
        migrationBuilder.CreateIndex(name: "ix_pregnancy_tests_patientid", table: "pregnancy_tests", column: "PatientId");
        migrationBuilder.CreateIndex(name: "ix_surveys_patientid", table: "surveys", column: "PatientId");
        migrationBuilder.CreateIndex(name: "ix_holds_patientid", table: "holds", column: "PatientId");
        migrationBuilder.CreateIndex(name: "ix_cases_patientid", table: "cases", column: "PatientId");
        migrationBuilder.CreateIndex(name: "ix_authorizations_patientid", table: "authorizations", column: "PatientId");
        migrationBuilder.CreateIndex(name: "ix_confirmations_authorizationnumber", table: "confirmations", column: "AuthorizationNumber");
        migrationBuilder.CreateIndex(name: "ix_dispenses_confirmationnumber", table: "dispenses", column: "ConfirmationNumber", unique: true);
        migrationBuilder.CreateIndex(name: "ix_dispenses_patientid", table: "dispenses", column: "PatientId");
        migrationBuilder.CreateIndex(name: "ix_audit_subject", table: "audit", column: "Subject");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "audit");
        migrationBuilder.DropTable(name: "idempotency");
        migrationBuilder.DropTable(name: "dispenses");
        migrationBuilder.DropTable(name: "confirmations");
        migrationBuilder.DropTable(name: "authorizations");
        migrationBuilder.DropTable(name: "cases");
        migrationBuilder.DropTable(name: "holds");
        migrationBuilder.DropTable(name: "surveys");
        migrationBuilder.DropTable(name: "pregnancy_tests");
        migrationBuilder.DropTable(name: "agreements");
        migrationBuilder.DropTable(name: "category_changes");
        migrationBuilder.DropTable(name: "enrollments");
        migrationBuilder.DropTable(name: "patients");
        migrationBuilder.DropTable(name: "staff_trainings");
        migrationBuilder.DropTable(name: "pharmacy_certifications");
        migrationBuilder.DropTable(name: "pharmacies");
        migrationBuilder.DropTable(name: "prescriber_certifications");
        migrationBuilder.DropTable(name: "prescribers");
        migrationBuilder.DropTable(name: "practices");
        migrationBuilder.DropTable(name: "sessions");
        migrationBuilder.DropTable(name: "api_clients");
        migrationBuilder.DropTable(name: "users");
    }
}
