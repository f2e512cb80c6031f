using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ImidCare.Store.Migrations;

/// <summary>
/// What the interop channels must remember beyond one request, kept in the database so any node
/// (and a restarted one) sees it: the counseling checklist a pharmacy records against a
/// confirmation before an RxFill dispenses it; an outbox of notifications to EHRs (delivered after
/// the denial commits, retried without holding the denial up); and the CDS Hooks JWT ids already
/// seen, so a replayed token is refused on every node.
/// </summary>
[DbContext(typeof(ImidCareDb))]
[Migration("20261122040000_InteropState")]
public sealed class InteropState : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>(name: "CounselingJson", table: "confirmations", nullable: true);
        migrationBuilder.AddColumn<long>(name: "CounseledAt", table: "confirmations", nullable: true);

        migrationBuilder.CreateTable(
            name: "interop_outbox",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                Kind = table.Column<string>(nullable: false),
                Target = table.Column<string>(nullable: false),
                Subject = table.Column<string>(nullable: false),
                PayloadJson = table.Column<string>(nullable: false),
                CreatedAt = table.Column<long>(nullable: false),
                Attempts = table.Column<int>(nullable: false),
                NextAttemptAt = table.Column<long>(nullable: false),
                State = table.Column<string>(nullable: false),
                FinishedAt = table.Column<long>(nullable: true),
                LastError = table.Column<string>(nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_interop_outbox", x => x.Id));
        migrationBuilder.CreateIndex(name: "ix_interop_outbox_state_next", table: "interop_outbox", columns: ["State", "NextAttemptAt"]);

        migrationBuilder.CreateTable(
            name: "cds_jwt_ids",
            columns: table => new
            {
                Issuer = table.Column<string>(nullable: false),
                Jti = table.Column<string>(nullable: false),
                ExpiresAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_cds_jwt_ids", x => new { x.Issuer, x.Jti }));
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "cds_jwt_ids");
        migrationBuilder.DropTable(name: "interop_outbox");
        migrationBuilder.DropColumn(name: "CounseledAt", table: "confirmations");
        migrationBuilder.DropColumn(name: "CounselingJson", table: "confirmations");
    }
}
