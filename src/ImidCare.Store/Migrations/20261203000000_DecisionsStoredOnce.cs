using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ImidCare.Store.Migrations;

/// <summary>
/// A decision is stored once, in its audit record (docs/decisions/0004-decision-stored-once.md).
/// The copies on the authorization, confirmation and survey rows were never read; the
/// confirmation's 2.2 KB made every confirmation row fill a page of its own, a quarter of what
/// the counter wrote per dispense. Plain ALTER TABLE: both SQLite (3.35 and later) and PostgreSQL
/// drop a column in place, and EF's SQLite table rebuild would need a model snapshot we do not keep.
/// </summary>
[DbContext(typeof(ImidCareDb))]
[Migration("20261203000000_DecisionsStoredOnce")]
public sealed class DecisionsStoredOnce : Migration
{
    private static readonly string[] Tables = ["authorizations", "confirmations", "surveys"];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        foreach (var table in Tables)
        {
            migrationBuilder.Sql($"ALTER TABLE {table} DROP COLUMN \"DecisionJson\";");
        }
    }

    /// <summary>The columns come back empty (<c>{}</c>): the decisions are in the audit trail.</summary>
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var table in Tables)
        {
            migrationBuilder.Sql($"ALTER TABLE {table} ADD COLUMN \"DecisionJson\" TEXT NOT NULL DEFAULT '{{}}';");
        }
    }
}
