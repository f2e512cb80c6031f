using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ImidCare.Store.Migrations;

/// <summary>
/// Indexes for the daily compliance sweep at a million patients: "last survey per patient" and
/// "last negative test per patient" become index-only scans, and "authorizations that expire
/// today" a range scan instead of a pass over every authorization ever issued.
/// </summary>
[DbContext(typeof(ImidCareDb))]
[Migration("20261122050000_SweepIndexes")]
public sealed class SweepIndexes : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateIndex(name: "ix_surveys_patientid_completedon", table: "surveys", columns: ["PatientId", "CompletedOn"]);
        migrationBuilder.CreateIndex(name: "ix_pregnancy_tests_patientid_result_specimenat", table: "pregnancy_tests", columns: ["PatientId", "Result", "SpecimenAt"]);
        // On ExpiresAt alone: with State first, SQLite (no statistics) preferred it over PatientId for
        // the counter's per-patient "missed windows" query and scanned every active authorization.
        migrationBuilder.CreateIndex(name: "ix_authorizations_expiresat", table: "authorizations", column: "ExpiresAt");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "ix_surveys_patientid_completedon", table: "surveys");
        migrationBuilder.DropIndex(name: "ix_pregnancy_tests_patientid_result_specimenat", table: "pregnancy_tests");
        migrationBuilder.DropIndex(name: "ix_authorizations_expiresat", table: "authorizations");
    }
}
