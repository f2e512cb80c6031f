using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ImidCare.Store.Migrations;

/// <summary>
/// The dose diary keeps one entry per patient and day, and the database now says so: the index on
/// (PatientId, Date) becomes unique. Until now only the server's diary write kept the rule (it
/// reads the day's rows and corrects the one it finds, under the write gate), so a row written any
/// other way (before that rule existed, by `psql`, by a tool that does not take the write gate's
/// lock) could make a second entry for a day, which every read then had to fold away.
/// <para>
/// Days that already hold several rows are folded first, as the reads fold them
/// (TherapyService.OnePerDay): the row recorded last is the day's entry, ties going to the
/// greatest id in ordinal order; the others are deleted. Nothing is lost that was kept only here:
/// the audit trail, which is append-only, holds every row the server wrote, as its `dose.recorded`
/// record (id, date, status, capsules), and every later change of it as `dose.corrected`.
/// </para>
/// </summary>
[DbContext(typeof(ImidCareDb))]
[Migration("20261206000000_OneDoseEntryPerDay")]
public sealed class OneDoseEntryPerDay : Migration
{
    private const string Index = "ix_dose_entries_patientid_date";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        // Ordinal, as OnePerDay compares ids: SQLite compares text byte by byte unless told
        // otherwise, PostgreSQL by the database's collation (en_US and the like put "a" before "B").
        var ordinal = migrationBuilder.IsNpgsql() ? " COLLATE \"C\"" : string.Empty;
        migrationBuilder.Sql($"""
            DELETE FROM dose_entries
            WHERE EXISTS (
              SELECT 1 FROM dose_entries AS later
              WHERE later."PatientId" = dose_entries."PatientId" AND later."Date" = dose_entries."Date"
                AND (later."RecordedAt" > dose_entries."RecordedAt"
                  OR (later."RecordedAt" = dose_entries."RecordedAt" AND later."Id"{ordinal} > dose_entries."Id"{ordinal})));
            """);
        migrationBuilder.DropIndex(name: Index, table: "dose_entries");
        migrationBuilder.CreateIndex(name: Index, table: "dose_entries", columns: ["PatientId", "Date"], unique: true);
    }

    /// <summary>The index is plain again; the rows folded stay folded (their values are in the audit trail).</summary>
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: Index, table: "dose_entries");
        migrationBuilder.CreateIndex(name: Index, table: "dose_entries", columns: ["PatientId", "Date"]);
    }
}
