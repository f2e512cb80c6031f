using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ImidCare.Store.Migrations;

/// <summary>
/// Stored Idempotency-Key answers are honoured for 24 hours and then deleted by the server's
/// purge, oldest first and a bounded batch at a time; this index on At is what finds them without
/// reading the whole table (which, until now, held every keyed answer ever given). The rows already
/// there are not deleted here: a database that has been serving a long time holds many, and the
/// purge's first rounds delete them in batches while the server serves, not in one transaction
/// before it starts. Reads ignore them meanwhile. It costs each keyed request one more index entry,
/// appended at the index's newest end.
/// </summary>
[DbContext(typeof(ImidCareDb))]
[Migration("20261207000000_IdempotencyRetention")]
public sealed class IdempotencyRetention : Migration
{
    private const string Index = "ix_idempotency_at";

    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.CreateIndex(name: Index, table: "idempotency", column: "At");

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropIndex(name: Index, table: "idempotency");
}
