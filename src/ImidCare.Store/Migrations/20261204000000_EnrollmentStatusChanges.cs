using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ImidCare.Store.Migrations;

/// <summary>
/// A patient's enrollment can now be deactivated, disenrolled and reactivated through the API
/// (until now only the rules knew those states, and nothing could reach them); each move is kept
/// as history with its reason, beside the category changes. Not a cached table: the enrollment
/// row itself is, and its change moves the counts as every EF write does.
/// </summary>
[DbContext(typeof(ImidCareDb))]
[Migration("20261204000000_EnrollmentStatusChanges")]
public sealed class EnrollmentStatusChanges : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "enrollment_status_changes",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                EnrollmentId = table.Column<string>(nullable: false),
                FromStatus = table.Column<string>(nullable: false),
                ToStatus = table.Column<string>(nullable: false),
                Reason = table.Column<string>(nullable: false),
                By = table.Column<string>(nullable: false),
                At = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_enrollment_status_changes", x => x.Id));
        migrationBuilder.CreateIndex(name: "ix_enrollment_status_changes_enrollmentid", table: "enrollment_status_changes", column: "EnrollmentId");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "enrollment_status_changes");
    }
}
