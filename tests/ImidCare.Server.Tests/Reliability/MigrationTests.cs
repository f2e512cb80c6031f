using ImidCare.Server.Tests.Support;
using ImidCare.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests.Reliability;

/// <summary>
/// A database made by an earlier release is upgraded in place with its rows kept, and a migration
/// taken back leaves a database the earlier release can write to again. Every other test starts
/// from an empty database, which proves only the path from nothing.
/// </summary>
public sealed class MigrationTests
{
    private const string BeforeDecisionsStoredOnce = "20261122050000_SweepIndexes";

    [Theory]
    [InlineData(StorageProvider.Sqlite)]
    [InlineData(StorageProvider.Postgres)]
    public async Task RowsWrittenWithTheirDecision_SurviveTheUpgrade_AndTheDowngradeTakesWritesAgain(StorageProvider provider)
    {
        await using var store = await TestDatabase.CreateAsync(provider);
        var builder = new DbContextOptionsBuilder<ImidCareDb>();
        store.Options.Configure(builder);
        await using var db = new ImidCareDb(builder.Options);
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync(BeforeDecisionsStoredOnce);
        await InsertAsReleasedAsync(db, "1");

        await migrator.MigrateAsync();

        var authorization = await db.Authorizations.AsNoTracking().SingleAsync(a => a.Number == "A1");
        authorization.State.ShouldBe("Dispensed");
        authorization.ValidThrough.ShouldBe(new LocalDate(2026, 11, 30));
        (await db.Confirmations.AsNoTracking().SingleAsync(c => c.Number == "C1")).AuthorizationNumber.ShouldBe("A1");
        (await db.Surveys.AsNoTracking().SingleAsync(s => s.Id == "srv1")).Outcome.ShouldBe("Allowed");
        (await ColumnsAsync(db, "confirmations")).ShouldNotContain("DecisionJson");

        await migrator.MigrateAsync(BeforeDecisionsStoredOnce);
        (await ColumnsAsync(db, "confirmations")).ShouldContain("DecisionJson");
        await InsertAsReleasedAsync(db, "2");
        (await db.Database.SqlQueryRaw<string>("""SELECT "DecisionJson" AS "Value" FROM confirmations WHERE "Number" = 'C1'""").SingleAsync()).ShouldBe("{}");
    }

    /// <summary>The three rows as the release before this migration wrote them, each with its decision.</summary>
    private static async Task InsertAsReleasedAsync(ImidCareDb db, string n)
    {
        var decision = """{"outcome":"allowed","usesUnverifiedRules":false,"reasons":[]}""";
        var validThrough = new DateOnly(2026, 11, 30);
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO authorizations ("Number", "PatientId", "PrescriberId", "ProgramId", "Drug", "Category", "DaysSupply", "IssuedAt", "ValidThrough", "ExpiresAt", "State", "Version", "DecisionJson")
            VALUES ({"A" + n}, 'pat1', 'prs1', 'lenalidomide-rems', 'lenalidomide', 'AdultMale', 28, {1L}, {validThrough}, {2L}, 'Dispensed', 3, {decision})
            """);
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO confirmations ("Number", "AuthorizationNumber", "PharmacyId", "IssuedAt", "ExpiresAt", "State", "Version", "DecisionJson")
            VALUES ({"C" + n}, {"A" + n}, 'phy1', {1L}, {2L}, 'dispensed', 2, {decision})
            """);
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO surveys ("Id", "PatientId", "ProgramId", "CompletedAt", "CompletedOn", "AnswersJson", "Outcome", "DecisionJson")
            VALUES ({"srv" + n}, 'pat1', 'lenalidomide-rems', {1L}, {validThrough}, {"{}"}, 'Allowed', {decision})
            """);
    }

    private static Task<List<string>> ColumnsAsync(ImidCareDb db, string table) => db.Database.IsSqlite()
        ? db.Database.SqlQuery<string>($"SELECT name AS \"Value\" FROM pragma_table_info({table})").ToListAsync()
        : db.Database.SqlQuery<string>($"SELECT column_name::text AS \"Value\" FROM information_schema.columns WHERE table_name = {table}").ToListAsync();
}
