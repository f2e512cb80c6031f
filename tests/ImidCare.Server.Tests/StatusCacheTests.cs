using ImidCare.Server.Rems;
using ImidCare.Server.Tests.Support;
using ImidCare.Store;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>
/// The pharmacy status check answers from memory only while nothing was written since its facts
/// were read: a write through this server is seen by the very next call, and a write by another
/// process or node (here: a plain connection, outside the server) within the watcher's interval.
/// </summary>
public abstract class StatusCacheTests(ImidCareApp app)
{
    private StatusCache Cache => app.Services.GetRequiredService<StatusCache>();

    /// <summary>Asks until an answer comes from the cache (the watcher needs one look at the database first).</summary>
    private async Task<ApiResult> CachedStatusAsync(HttpClient pharmacy, string number)
    {
        for (var i = 0; i < 50; i++)
        {
            var before = Cache.Hits;
            var r = await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}");
            r.Code.ShouldBe(200, r.ToString());
            if (Cache.Hits > before)
            {
                return r;
            }

            await Task.Delay(100);
        }

        throw new ShouldAssertException("The status check never answered from its cache.");
    }

    /// <summary>A fresh patient's authorization, and the pharmacy whose status check of it is already answered from the cache.</summary>
    private async Task<(string Number, HttpClient Pharmacy, ApiResult Cached)> CachedAuthorizationAsync(string name)
    {
        var park = await app.ParkAsync();
        var number = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, name));
        var pharmacy = app.Pharmacy();
        return (number, pharmacy, await CachedStatusAsync(pharmacy, number));
    }

    [Fact]
    public async Task ARepeatedCheck_IsAnsweredFromMemory_AndAConfirmationHereIsSeenAtOnce()
    {
        var (number, pharmacy, cached) = await CachedAuthorizationAsync("Cache Here");
        cached.Str("state").ShouldBe("Active");
        cached.Body.GetProperty("wouldConfirm").GetProperty("outcome").GetString().ShouldBe("allowed");

        (await pharmacy.PostAsync($"/api/v1/authorizations/{number}/confirmations")).Code.ShouldBe(201);

        var misses = Cache.Misses;
        var after = await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}");
        after.Str("state").ShouldBe("Confirmed");
        after.Body.GetProperty("wouldConfirm").GetProperty("outcome").GetString().ShouldBe("denied");
        Cache.Misses.ShouldBe(misses + 1);
    }

    [Fact]
    public async Task AWriteByAnotherProcess_IsSeenWithinTheWatchersInterval()
    {
        var (number, pharmacy, cached) = await CachedAuthorizationAsync("Cache Elsewhere");
        cached.Str("state").ShouldBe("Active");

        // As another node would: its own connection, none of this server's code.
        await using (var other = Open(app.Storage))
        {
            await other.OpenAsync();
            await using var cmd = other.CreateCommand();
            cmd.CommandText = $"""UPDATE authorizations SET "State" = 'Revoked', "Version" = "Version" + 1 WHERE "Number" = '{number}'""";
            (await cmd.ExecuteNonQueryAsync()).ShouldBe(1);
        }

        var seen = false;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!seen && watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            var r = await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}");
            seen = r.Str("state") == "Revoked";
            if (!seen)
            {
                await Task.Delay(20);
            }
        }

        seen.ShouldBeTrue("the other process's write was never seen");

        // 100 ms between looks; the bound is generous for a loaded CI machine, not the design figure.
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task AWriteThroughEfOutsideTheWriteGate_IsSeenByTheNextCall()
    {
        var (number, pharmacy, cached) = await CachedAuthorizationAsync("Cache Ef");
        cached.Str("state").ShouldBe("Active");

        await using (var db = await app.DbAsync())
        {
            var a = await db.Authorizations.FindAsync(number);
            a!.State = "Revoked";
            a.Version++;
            await db.SaveChangesAsync();
        }

        // No wait: the commit itself moved the count (the watcher would take up to its interval).
        (await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}")).Str("state").ShouldBe("Revoked");
    }

    private static System.Data.Common.DbConnection Open(StorageOptions storage) => storage.Provider == StorageProvider.Postgres
        ? new NpgsqlConnection(storage.EffectiveConnectionString)
        : new SqliteConnection(storage.ConnectionString);
}

public sealed class SqliteStatusCacheTests(SqliteApp app) : StatusCacheTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresStatusCacheTests(PostgresApp app) : StatusCacheTests(app), IClassFixture<PostgresApp>;

/// <summary>The hand-written decision writer is held to the serializer's own output.</summary>
public sealed class DecisionJsonTests
{
    [Fact]
    public void TheDecisionConverter_WritesWhatTheSerializerWould_AndReadsItBack()
    {
        var dto = new Infrastructure.DecisionDto("allowed", true,
        [
            new("REMS.NO_HOLD", "The patient is not on hold — \"quoted\" ≥ 50 mIU/mL.", "Inference (facts §6.1, Q2)", "I", true),
            new("REMS.PRESCRIBER_CERTIFIED", "The prescriber is certified.", "REMS §2.1 <b>&</b>", "S", false),
        ]);
        var plain = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
        var expected = System.Text.Json.JsonSerializer.Serialize(dto, plain);
        var actual = System.Text.Json.JsonSerializer.Serialize(dto, Infrastructure.Json.Options);
        actual.ShouldBe(expected);

        var back = System.Text.Json.JsonSerializer.Deserialize<Infrastructure.DecisionDto>(actual, Infrastructure.Json.Options)!;
        back.Outcome.ShouldBe(dto.Outcome);
        back.UsesUnverifiedRules.ShouldBeTrue();
        back.Reasons.ShouldBe(dto.Reasons);
    }
}
