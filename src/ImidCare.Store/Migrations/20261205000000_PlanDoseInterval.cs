using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ImidCare.Store.Migrations;

/// <summary>
/// A treatment plan keeps its dosing interval. The rules could calendar "15 mg every 48 hours"
/// (lenalidomide, creatinine clearance under 30 mL/min without dialysis), but the stored plan had
/// no place for it, so such a plan was calendared, and the patient told to take it, every day.
/// Plans stored before keep the every-day interval they were calendared with.
/// </summary>
[DbContext(typeof(ImidCareDb))]
[Migration("20261205000000_PlanDoseInterval")]
public sealed class PlanDoseInterval : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<int>(name: "DoseIntervalDays", table: "treatment_plans", nullable: false, defaultValue: 1);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        // Plain ALTER TABLE, as DecisionsStoredOnce: EF's SQLite table rebuild would need a model snapshot we do not keep.
        migrationBuilder.Sql("ALTER TABLE treatment_plans DROP COLUMN \"DoseIntervalDays\";");
    }
}
