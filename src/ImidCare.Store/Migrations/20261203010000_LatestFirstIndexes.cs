using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ImidCare.Store.Migrations;

/// <summary>
/// "A patient's last dispense" and "last survey in the program" are read on every uncached status
/// check, every confirmation and every authorization. On indexes of the patient alone each was a
/// range of the patient's rows sorted afresh (SQLite: a temporary B-tree per subquery, three per
/// counter lookup); with the ordering column in the index the last row is the index's last entry.
/// Each new index replaces the one it extends (its prefix serves the old lookups), so writes touch
/// no more indexes than before.
/// </summary>
[DbContext(typeof(ImidCareDb))]
[Migration("20261203010000_LatestFirstIndexes")]
public sealed class LatestFirstIndexes : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "ix_dispenses_patientid", table: "dispenses");
        migrationBuilder.CreateIndex(name: "ix_dispenses_patientid_at", table: "dispenses", columns: ["PatientId", "At"]);
        migrationBuilder.DropIndex(name: "ix_surveys_patientid", table: "surveys");
        migrationBuilder.CreateIndex(name: "ix_surveys_patientid_programid_completedat", table: "surveys", columns: ["PatientId", "ProgramId", "CompletedAt"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "ix_dispenses_patientid_at", table: "dispenses");
        migrationBuilder.CreateIndex(name: "ix_dispenses_patientid", table: "dispenses", column: "PatientId");
        migrationBuilder.DropIndex(name: "ix_surveys_patientid_programid_completedat", table: "surveys");
        migrationBuilder.CreateIndex(name: "ix_surveys_patientid", table: "surveys", column: "PatientId");
    }
}
