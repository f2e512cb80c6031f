using ImidCare.Server.Rems;
using ImidCare.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>
/// The facts behind every counter lookup and every authorization are read by index alone: no
/// statement sorts rows of its own (SQLite's "USE TEMP B-TREE"). "A patient's last dispense" and
/// "last survey" once sorted the patient's rows on each read, three sorts per uncached status check
/// (docs/benchmarks.md, "Session 9"); the indexes of migration LatestFirstIndexes end that.
/// </summary>
public sealed class QueryPlanTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    public static TheoryData<string> Statements()
    {
        var data = new TheoryData<string> { FactsQuery.CounterRowSql };
        foreach (var statement in FactsQuery.FactsSql.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            data.Add(statement);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Statements))]
    public async Task AFactsStatement_ReadsByIndex_WithoutASortOfItsOwn(string sql)
    {
        await using var db = await app.DbAsync();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "EXPLAIN QUERY PLAN " + sql;
        var plan = new List<string>();
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                plan.Add(r.GetString(3));
            }
        }

        plan.ShouldNotBeEmpty();
        plan.ShouldAllBe(step => !step.Contains("TEMP B-TREE"), string.Join(Environment.NewLine, plan));
        plan.ShouldAllBe(step => !step.StartsWith("SCAN dispenses") && !step.StartsWith("SCAN surveys") && !step.StartsWith("SCAN authorizations"), string.Join(Environment.NewLine, plan));
    }
}
