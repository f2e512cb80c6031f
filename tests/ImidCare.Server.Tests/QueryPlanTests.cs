using ImidCare.Server.Rems;
using ImidCare.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>
/// The facts behind every counter lookup and every authorization are read by index alone: no
/// statement sorts rows of its own (SQLite's "USE TEMP B-TREE"). "A patient's last dispense" and
/// "last survey" once sorted the patient's rows on each read, three sorts per uncached status check
/// (docs/benchmarks.md, "Session 9"); the indexes of migration LatestFirstIndexes end that.
/// The last dispense is the last in the program being decided, found through the dispense's
/// authorization: still the walk down the patient's (PatientId, At) index, newest first, with one
/// primary-key lookup of the authorization per fill passed.
/// </summary>
public sealed class QueryPlanTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private static IEnumerable<string> All() =>
        [FactsQuery.CounterRowSql, .. FactsQuery.FactsSql.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    public static TheoryData<string> Statements() => [.. All()];

    /// <summary>The statements that read the last dispense: the counter's row and the facts query's.</summary>
    public static TheoryData<string> LastDispenseStatements() => [.. All().Where(s => s.Contains("FROM dispenses", StringComparison.Ordinal))];

    [Theory]
    [MemberData(nameof(Statements))]
    public async Task AFactsStatement_ReadsByIndex_WithoutASortOfItsOwn(string sql)
    {
        var plan = await PlanAsync(sql);
        plan.ShouldNotBeEmpty();
        plan.ShouldAllBe(step => !step.Contains("TEMP B-TREE"), string.Join(Environment.NewLine, plan));

        // A plan names a table by its alias ("SCAN d"): the declared outages ("o", a handful of rows, no index) are the only table read whole.
        plan.ShouldAllBe(step => !step.StartsWith("SCAN ") || step == "SCAN o", string.Join(Environment.NewLine, plan));
    }

    [Theory]
    [MemberData(nameof(LastDispenseStatements))]
    public async Task TheLastDispenseInTheProgram_WalksThePatientsFillsNewestFirst_AndLooksUpEachFillsAuthorizationByItsKey(string sql)
    {
        var plan = await PlanAsync(sql);
        var shown = string.Join(Environment.NewLine, plan);
        plan.ShouldContain(step => step.StartsWith("SEARCH d USING INDEX ix_dispenses_patientid_at (PatientId=?)"), shown);
        plan.ShouldContain(step => step.StartsWith("SEARCH da USING INDEX sqlite_autoindex_authorizations_1 (Number=?)"), shown);
    }

    /// <summary>
    /// The purge of expired idempotency answers finds them by the At index (migration
    /// IdempotencyRetention) and each by its key: it never reads the whole table, which holds a
    /// day of every keyed confirmation and dispense.
    /// </summary>
    [Fact]
    public async Task TheIdempotencyPurge_FindsTheOldestAnswersByTheirIndex_AndDeletesEachByItsKey()
    {
        var plan = await PlanAsync(Infrastructure.IdempotencyPurge.PurgeSql);
        var shown = string.Join(Environment.NewLine, plan);
        plan.ShouldContain(step => step.StartsWith("SEARCH i USING") && step.EndsWith("INDEX ix_idempotency_at (At<?)"), shown);
        plan.ShouldContain(step => step.StartsWith("SEARCH idempotency USING") && step.EndsWith("INDEX sqlite_autoindex_idempotency_1 (CallerId=? AND Key=?)"), shown);
        plan.ShouldAllBe(step => !step.StartsWith("SCAN ") && !step.Contains("TEMP B-TREE"), shown);
    }

    private async Task<List<string>> PlanAsync(string sql)
    {
        await using var db = await app.DbAsync();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "EXPLAIN QUERY PLAN " + sql;
        var plan = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            plan.Add(r.GetString(3));
        }

        return plan;
    }
}

/// <summary>
/// The same statements on PostgreSQL. A test database is nearly empty and has no statistics, where
/// a sequential scan and a sort are the cheapest plan and say nothing of a real one; so the plan
/// is asked for with both priced out (enable_seqscan, enable_sort off): a Sort or a Seq Scan that
/// is still chosen is one no index can replace. On data with statistics (docs/benchmarks.md's
/// scale data) the planner chooses these index plans by itself.
/// </summary>
public sealed class PostgresQueryPlanTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    [Theory]
    [MemberData(nameof(QueryPlanTests.Statements), MemberType = typeof(QueryPlanTests))]
    public async Task AFactsStatement_ReadsByIndex_WithoutASortOfItsOwn(string sql)
    {
        var plan = await PlanAsync(sql);
        var shown = string.Join(Environment.NewLine, plan);
        plan.ShouldNotBeEmpty();
        plan.ShouldAllBe(step => !step.Contains("Sort"), shown);
        plan.ShouldAllBe(step => !step.Contains("Seq Scan on dispenses") && !step.Contains("Seq Scan on surveys") && !step.Contains("Seq Scan on authorizations"), shown);
    }

    [Theory]
    [MemberData(nameof(QueryPlanTests.LastDispenseStatements), MemberType = typeof(QueryPlanTests))]
    public async Task TheLastDispenseInTheProgram_WalksThePatientsFillsNewestFirst_AndLooksUpEachFillsAuthorizationByItsKey(string sql)
    {
        var plan = await PlanAsync(sql);
        var shown = string.Join(Environment.NewLine, plan);
        plan.ShouldContain(step => step.Contains("Index Scan Backward using ix_dispenses_patientid_at on dispenses d"), shown);
        plan.ShouldContain(step => step.Contains("Index Scan using pk_authorizations on authorizations da"), shown);
    }

    [Fact]
    public async Task TheIdempotencyPurge_FindsTheOldestAnswersByTheirIndex_AndDeletesEachByItsKey()
    {
        var plan = await PlanAsync(Infrastructure.IdempotencyPurge.PurgeSql);
        var shown = string.Join(Environment.NewLine, plan);
        plan.ShouldContain(step => step.Contains("using ix_idempotency_at on idempotency i"), shown);
        plan.ShouldContain(step => step.Contains("using pk_idempotency on idempotency"), shown);
        plan.ShouldAllBe(step => !step.Contains("Seq Scan") && !step.Contains("Sort"), shown);
    }

    private async Task<List<string>> PlanAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(app.Storage.EffectiveConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var tx = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await using (var off = new NpgsqlCommand("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off", connection, tx))
        {
            await off.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await using var cmd = new NpgsqlCommand("EXPLAIN " + sql, connection, tx);
        foreach (var name in System.Text.RegularExpressions.Regex.Matches(sql, "@([a-z]+)").Select(m => m.Groups[1].Value).Distinct())
        {
            cmd.Parameters.AddWithValue(name, name switch { "now" or "before" => 0L, "limit" => 500, _ => "x" });
        }

        var plan = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await r.ReadAsync(TestContext.Current.CancellationToken))
        {
            plan.Add(r.GetString(0));
        }

        return plan;
    }
}
