using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ImidCare.Store.Migrations;

/// <summary>The treatment companion: plans, dose diary, labs, myeloma assessments, caregiver grants, calendar feeds.</summary>
[DbContext(typeof(ImidCareDb))]
[Migration("20261122000000_Therapy")]
public sealed class Therapy : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "treatment_plans",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                PatientId = table.Column<string>(nullable: false),
                RegimenId = table.Column<string>(nullable: false),
                Start = table.Column<DateOnly>(nullable: false),
                DoseMg = table.Column<decimal>(nullable: true),
                UsualDoseTime = table.Column<TimeOnly>(nullable: false),
                TimeZoneId = table.Column<string>(nullable: false),
                HoldsJson = table.Column<string>(nullable: false),
                DialysisDaysJson = table.Column<string>(nullable: false),
                HivPositive = table.Column<bool>(nullable: false),
                SetBy = table.Column<string>(nullable: false),
                SetAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_treatment_plans", x => x.Id));

        migrationBuilder.CreateTable(
            name: "dose_entries",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                PatientId = table.Column<string>(nullable: false),
                Date = table.Column<DateOnly>(nullable: false),
                Status = table.Column<string>(nullable: false),
                Capsules = table.Column<int>(nullable: false),
                RecordedBy = table.Column<string>(nullable: false),
                RecordedAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_dose_entries", x => x.Id));

        migrationBuilder.CreateTable(
            name: "lab_results",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                PatientId = table.Column<string>(nullable: false),
                TakenOn = table.Column<DateOnly>(nullable: false),
                Anc = table.Column<int>(nullable: true),
                Platelets = table.Column<int>(nullable: true),
                HemoglobinGdL = table.Column<decimal>(nullable: true),
                RecordedBy = table.Column<string>(nullable: false),
                RecordedAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_lab_results", x => x.Id));

        migrationBuilder.CreateTable(
            name: "myeloma_assessments",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                PatientId = table.Column<string>(nullable: false),
                Date = table.Column<DateOnly>(nullable: false),
                ValuesJson = table.Column<string>(nullable: false),
                RecordedBy = table.Column<string>(nullable: false),
                RecordedAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_myeloma_assessments", x => x.Id));

        migrationBuilder.CreateTable(
            name: "caregiver_grants",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                PatientId = table.Column<string>(nullable: false),
                CaregiverUserId = table.Column<string>(nullable: false),
                GrantedAt = table.Column<long>(nullable: false),
                RevokedAt = table.Column<long>(nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_caregiver_grants", x => x.Id));

        migrationBuilder.CreateTable(
            name: "calendar_feeds",
            columns: table => new
            {
                TokenHash = table.Column<string>(nullable: false),
                PatientId = table.Column<string>(nullable: false),
                CreatedAt = table.Column<long>(nullable: false),
                RevokedAt = table.Column<long>(nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_calendar_feeds", x => x.TokenHash));

        migrationBuilder.CreateIndex(name: "ix_treatment_plans_patientid", table: "treatment_plans", column: "PatientId");
        migrationBuilder.CreateIndex(name: "ix_dose_entries_patientid_date", table: "dose_entries", columns: new[] { "PatientId", "Date" });
        migrationBuilder.CreateIndex(name: "ix_lab_results_patientid_takenon", table: "lab_results", columns: new[] { "PatientId", "TakenOn" });
        migrationBuilder.CreateIndex(name: "ix_myeloma_assessments_patientid_date", table: "myeloma_assessments", columns: new[] { "PatientId", "Date" });
        migrationBuilder.CreateIndex(name: "ix_caregiver_grants_patientid", table: "caregiver_grants", column: "PatientId");
        migrationBuilder.CreateIndex(name: "ix_caregiver_grants_caregiveruserid", table: "caregiver_grants", column: "CaregiverUserId");
        migrationBuilder.CreateIndex(name: "ix_calendar_feeds_patientid", table: "calendar_feeds", column: "PatientId");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var t in new[] { "calendar_feeds", "caregiver_grants", "myeloma_assessments", "lab_results", "dose_entries", "treatment_plans" })
        {
            migrationBuilder.DropTable(name: t);
        }
    }
}
