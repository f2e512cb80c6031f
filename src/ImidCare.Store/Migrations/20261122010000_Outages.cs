using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ImidCare.Store.Migrations;

/// <summary>Declared program outages, during which authorization and confirmation clocks stop.</summary>
[DbContext(typeof(ImidCareDb))]
[Migration("20261122010000_Outages")]
public sealed class Outages : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.CreateTable(
            name: "outages",
            columns: table => new
            {
                Id = table.Column<string>(nullable: false),
                ProgramId = table.Column<string>(nullable: true),
                From = table.Column<long>(nullable: false),
                To = table.Column<long>(nullable: false),
                Reason = table.Column<string>(nullable: false),
                DeclaredBy = table.Column<string>(nullable: false),
                DeclaredAt = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_outages", x => x.Id));

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable(name: "outages");
}
