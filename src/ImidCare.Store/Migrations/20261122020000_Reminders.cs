using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ImidCare.Store.Migrations;

/// <summary>
/// Reminders (one per person, kind, subject and due date), the scheduled job's runs and lease,
/// the shared Data Protection key ring, and an optional email address per user.
/// </summary>
[DbContext(typeof(ImidCareDb))]
[Migration("20261122020000_Reminders")]
public sealed class Reminders : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>(name: "Email", table: "users", nullable: true);
        migrationBuilder.AddColumn<bool>(name: "EmailReminders", table: "users", nullable: false, defaultValue: false);

        migrationBuilder.CreateTable(
            name: "reminders",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                UserId = table.Column<string>(nullable: false),
                PatientId = table.Column<string>(nullable: true),
                Subject = table.Column<string>(nullable: false),
                Kind = table.Column<string>(nullable: false),
                DueOn = table.Column<DateOnly>(nullable: false),
                Title = table.Column<string>(nullable: false),
                Detail = table.Column<string>(nullable: false),
                RuleCode = table.Column<string>(nullable: false),
                RuleMessage = table.Column<string>(nullable: false),
                RuleSource = table.Column<string>(nullable: false),
                RuleEvidence = table.Column<string>(nullable: false),
                Unverified = table.Column<bool>(nullable: false),
                Link = table.Column<string>(nullable: false),
                CreatedAt = table.Column<long>(nullable: false),
                ReadAt = table.Column<long>(nullable: true),
                EmailedAt = table.Column<long>(nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_reminders", x => x.Id));

        migrationBuilder.CreateTable(
            name: "job_runs",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                Job = table.Column<string>(nullable: false),
                Slot = table.Column<long>(nullable: false),
                Node = table.Column<string>(nullable: false),
                StartedAt = table.Column<long>(nullable: false),
                FinishedAt = table.Column<long>(nullable: true),
                Created = table.Column<int>(nullable: false),
                Emailed = table.Column<int>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_job_runs", x => x.Id));

        migrationBuilder.CreateTable(
            name: "job_leases",
            columns: table => new
            {
                Job = table.Column<string>(nullable: false),
                Holder = table.Column<string>(nullable: false),
                ExpiresAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_job_leases", x => x.Job));

        migrationBuilder.CreateTable(
            name: "data_protection_keys",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                FriendlyName = table.Column<string>(nullable: false),
                Xml = table.Column<string>(nullable: false),
                CreatedAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_data_protection_keys", x => x.Id));

        migrationBuilder.CreateIndex(name: "ux_reminders_user_kind_subject_dueon", table: "reminders", columns: new[] { "UserId", "Kind", "Subject", "DueOn" }, unique: true);
        migrationBuilder.CreateIndex(name: "ux_job_runs_job_slot", table: "job_runs", columns: new[] { "Job", "Slot" }, unique: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var t in new[] { "data_protection_keys", "job_leases", "job_runs", "reminders" })
        {
            migrationBuilder.DropTable(name: t);
        }

        migrationBuilder.DropColumn(name: "EmailReminders", table: "users");
        migrationBuilder.DropColumn(name: "Email", table: "users");
    }
}
