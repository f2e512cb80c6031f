using ImidCare.Server.Rems;
using ImidCare.Server.Tests.Support;
using ImidCare.Store;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>
/// The status cache's tests run alone, after the rest of the suite. The counts that make an entry
/// stale (DataGeneration) belong to the process, as they should in a server; here every test
/// server shares one process, so another test class's write to a cached table, at any moment,
/// empties this class's entries, and a test asserting "still answered from memory" (or counting
/// hits) fails for a reason that is not its own. It did once in CI (session 14), as more classes
/// came to write in parallel.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StatusCacheCollection
{
    public const string Name = "status cache, alone";
}

/// <summary>
/// The pharmacy status check answers from memory only while nothing was written since its facts
/// were read: a write through this server is seen by the very next call, and a write by another
/// process or node (here: a plain connection, outside the server) within the watcher's interval.
/// </summary>
public abstract class StatusCacheTests(ImidCareApp app)
{
    protected StatusCache Cache => app.Services.GetRequiredService<StatusCache>();

    /// <summary>Asks until an answer comes from the cache (the watcher needs one look at the database first).</summary>
    protected async Task<ApiResult> CachedStatusAsync(HttpClient pharmacy, string number)
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
    protected async Task<(string Number, HttpClient Pharmacy, ApiResult Cached)> CachedAuthorizationAsync(string name)
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
    public async Task AnAnswerFromMemory_IsDecidedAgainAtTheCallsTime()
    {
        var (number, pharmacy, cached) = await CachedAuthorizationAsync("Cache Time");
        var again = await CachedStatusAsync(pharmacy, number);
        again.ToString().ShouldBe(cached.ToString());

        // Nothing written, the facts still cached: only the time makes this answer differ.
        var start = app.Clock.Now;
        try
        {
            app.Clock.Advance(NodaTime.Duration.FromDays(40));
            var later = await CachedStatusAsync(pharmacy, number);
            later.Str("state").ShouldBe("Expired");
            later.Body.GetProperty("wouldConfirm").GetProperty("outcome").GetString().ShouldBe("denied");
        }
        finally
        {
            app.Clock.Now = start;
        }

        (await CachedStatusAsync(pharmacy, number)).Str("state").ShouldBe("Active");
    }

    [Fact]
    public async Task ADispenseHere_IsSeenAtOnce()
    {
        var (number, pharmacy, _) = await CachedAuthorizationAsync("Cache Dispense");
        var confirmation = (await pharmacy.PostAsync($"/api/v1/authorizations/{number}/confirmations")).Str("number");
        (await CachedStatusAsync(pharmacy, number)).Str("state").ShouldBe("Confirmed");

        (await Scenario.DispenseAsync(pharmacy, confirmation)).Code.ShouldBe(201);

        var misses = Cache.Misses;
        (await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}")).Str("state").ShouldBe("Dispensed");
        Cache.Misses.ShouldBe(misses + 1);
    }

    /// <summary>
    /// A fill is its own program's record (FactsQuery): a lenalidomide fill leaves the pharmacy's
    /// answer for the same patient's pomalidomide authorization a first fill. The fill still moves
    /// the patient's count, so that answer is read again, never kept from before the fill.
    /// </summary>
    [Fact]
    public async Task AFillInAnotherProgram_IsReadAgain_AndLeavesThisProgramsFirstFill()
    {
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var id = await Scenario.InTwoProgramsAsync(app, park, "Cache Switch", first: "POM", second: "LEN");
        var number = await Scenario.AuthorizedAsync(park, id, "pomalidomide");
        var cached = await CachedStatusAsync(pharmacy, number);
        Scenario.ReasonCodes(cached.Body.GetProperty("wouldConfirm")).ShouldContain("REMS.FIRST_FILL");

        await Scenario.FilledAsync(park, pharmacy, id, "lenalidomide");

        var misses = Cache.Misses;
        var after = await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}");
        Cache.Misses.ShouldBe(misses + 1);
        var would = after.Body.GetProperty("wouldConfirm");
        would.GetProperty("outcome").GetString().ShouldBe("allowed", after.ToString());
        Scenario.ReasonCodes(would).ShouldContain("REMS.FIRST_FILL");
    }

    /// <summary>
    /// A counter's confirmation and dispense move only their patient's count: another patient's
    /// cached status keeps answering (on PostgreSQL too: the watcher knows this process's own
    /// transactions). Other tests' servers in this process, and their databases on the same
    /// PostgreSQL, may move the shared count at any moment, hence a few attempts.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnotherPatientsConfirmationAndDispense_LeaveThisEntryAnswering(bool withIdempotencyKeys)
    {
        var (number, pharmacy, _) = await CachedAuthorizationAsync("Cache Kept");
        var park = await app.ParkAsync();
        var kept = false;
        for (var attempt = 0; attempt < 5 && !kept; attempt++)
        {
            var other = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, $"Cache Other {attempt}"));
            await CachedStatusAsync(pharmacy, number);

            // A pharmacy system that sends a key with every write stores its replies too: that must not count as a write to everyone.
            var confirmed = await pharmacy.PostAsync($"/api/v1/authorizations/{other}/confirmations", idempotencyKey: withIdempotencyKeys ? $"c-{other}" : null);
            confirmed.Code.ShouldBe(201, confirmed.ToString());
            (await Scenario.DispenseAsync(pharmacy, confirmed.Str("number"), key: withIdempotencyKeys ? $"d-{other}" : null)).Code.ShouldBe(201);

            var hits = Cache.Hits;
            var r = await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}");
            r.Str("state").ShouldBe("Active");
            r.Body.GetProperty("wouldConfirm").GetProperty("outcome").GetString().ShouldBe("allowed");
            kept = Cache.Hits > hits;
        }

        kept.ShouldBeTrue("another patient's confirmation and dispense emptied this patient's entry");
    }

    /// <summary>
    /// A login, a dose in the diary and a logout write no row the status check's facts come from
    /// (DataGeneration.CachedTables): another patient's cached status keeps answering. Until
    /// session 11 each of them emptied the whole cache. A few attempts, as above.
    /// </summary>
    [Fact]
    public async Task ALoginADiaryEntryAndALogout_LeaveAnotherPatientsEntryAnswering()
    {
        var (number, pharmacy, _) = await CachedAuthorizationAsync("Cache Companion");
        var kept = false;
        for (var attempt = 0; attempt < 5 && !kept; attempt++)
        {
            await CachedStatusAsync(pharmacy, number);
            using (var john = await app.LoginAsync("john", "demo-john-2026"))
            {
                var dose = await john.PostAsync("/api/v1/patients/pat_demo_john/doses", new { date = "2026-11-17", status = "taken", capsules = 1 });
                // The first attempt records the day (201); a later attempt corrects it (200): a diary write either way.
                dose.Code.ShouldBeOneOf([201, 200], dose.ToString());
                using var logout = await john.DeleteAsync("/api/v1/session", TestContext.Current.CancellationToken);
                logout.StatusCode.ShouldBe(System.Net.HttpStatusCode.NoContent);
            }

            var hits = Cache.Hits;
            (await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}")).Str("state").ShouldBe("Active");
            kept = Cache.Hits > hits;
        }

        kept.ShouldBeTrue("a login, a diary entry or a logout emptied the status cache");
    }

    /// <summary>
    /// A scoped request (one that names the patients whose cached rows it writes) that writes a
    /// cached row through EF all the same is seen by the next call: EF's writes are checked, not
    /// trusted to the declaration. Both kinds EF tells apart: a tracked entity, and ExecuteUpdate.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AScopedRequestsEfWriteToACachedRow_IsSeenByTheNextCall(bool bulk)
    {
        var (number, pharmacy, cached) = await CachedAuthorizationAsync($"Cache Scoped {(bulk ? "Bulk" : "Tracked")}");
        cached.Str("state").ShouldBe("Active");

        await app.Services.GetRequiredService<WriteGate>().RunAsync(async (db, _, _) =>
        {
            if (bulk)
            {
                await db.Authorizations.Where(a => a.Number == number).ExecuteUpdateAsync(u => u.SetProperty(a => a.State, "Revoked").SetProperty(a => a.Version, a => a.Version + 1));
            }
            else
            {
                var a = await db.Authorizations.FirstAsync(a => a.Number == number);
                a.State = "Revoked";
                a.Version++;
            }

            return 0;
        }, scoped: true);

        (await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}")).Str("state").ShouldBe("Revoked");
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

    /// <summary>
    /// What the cache keeps per number is little of its own: two numbers read at the counter share
    /// the strings of their program, drug, category, state and prescriber, and the patient's id is
    /// the authorization's. (Fewer objects per entry: the collector's pauses while the cache fills
    /// halved, docs/benchmarks.md, session 12.) The values themselves are what was stored.
    /// </summary>
    [Fact]
    public async Task TwoNumbersReadAtTheCounter_ShareTheirFewValuedStrings()
    {
        var park = await app.ParkAsync();
        var first = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Shared One"));
        var second = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Shared Two"));
        var now = app.Services.GetRequiredService<NodaTime.IClock>().GetCurrentInstant();
        await using var db = await app.DbAsync();
        var (a1, p1, _) = (await FactsQuery.AtCounterAsync(db, first, "phy_demo_main", now, TestContext.Current.CancellationToken))!.Value;
        var (a2, p2, _) = (await FactsQuery.AtCounterAsync(db, second, "phy_demo_main", now, TestContext.Current.CancellationToken))!.Value;

        (a1.Number, a2.Number).ShouldBe((first, second));
        a1.State.ShouldBe("Active");
        foreach (var (x, y) in new[] { (a1.ProgramId, a2.ProgramId), (a1.Drug, a2.Drug), (a1.Category, a2.Category), (a1.State, a2.State), (a1.PrescriberId, a2.PrescriberId), (p1.Sex, p2.Sex) })
        {
            x.ShouldBe(y);
            ReferenceEquals(x, y).ShouldBeTrue($"\"{x}\" read twice is kept twice");
        }

        ReferenceEquals(p1.Id, a1.PatientId).ShouldBeTrue();
        p1.Name.ShouldNotBe(p2.Name);
    }

    protected static System.Data.Common.DbConnection Open(StorageOptions storage) => storage.Provider == StorageProvider.Postgres
        ? new NpgsqlConnection(storage.EffectiveConnectionString)
        : new SqliteConnection(storage.ConnectionString);
}

[Collection(StatusCacheCollection.Name)]
public sealed class SqliteStatusCacheTests(SqliteApp app) : StatusCacheTests(app), IClassFixture<SqliteApp>;

[Collection(StatusCacheCollection.Name)]
public sealed class PostgresStatusCacheTests(PostgresApp app) : StatusCacheTests(app), IClassFixture<PostgresApp>
{
    /// <summary>
    /// Another node's (or application's) commits that write no table the facts are read from leave
    /// the entry answering: the watcher reads a count only writes to the cached tables move. Until
    /// session 12 it read the transaction snapshot, and every one of these emptied the cache.
    /// (SQLite's `data_version` moves with any other connection's commit: there, one process owns the file.)
    /// A few attempts: the server's own background work may write a cached table meanwhile.
    /// </summary>
    [Fact]
    public async Task AnotherNodesWritesToOtherTables_LeaveTheEntryAnswering()
    {
        var (number, pharmacy, _) = await CachedAuthorizationAsync("Cache Neighbour");
        var kept = false;
        for (var attempt = 0; attempt < 5 && !kept; attempt++)
        {
            await CachedStatusAsync(pharmacy, number);
            await using (var other = Open(app.Storage))
            {
                await other.OpenAsync();
                for (var i = 0; i < 5; i++)
                {
                    await using var cmd = other.CreateCommand();
                    cmd.CommandText = PostgresCachedFactsVersionTests.WriteToAnotherTable;
                    (await cmd.ExecuteNonQueryAsync()).ShouldBe(1);
                }
            }

            // Three of the watcher's looks (100 ms apart) after the commits.
            await Task.Delay(300);
            var hits = Cache.Hits;
            (await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}")).Str("state").ShouldBe("Active");
            kept = Cache.Hits > hits;
        }

        kept.ShouldBeTrue("another node's writes to a table no fact is read from emptied the status cache");
    }
}

/// <summary>A server whose status cache holds three entries (the least it takes).</summary>
public sealed class ThreeEntryStatusCacheApp() : ImidCareApp(StorageProvider.Sqlite)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["ImidCare:StatusCache:MaxEntries"] = "3",
    };
}

/// <summary>The cache's bound on memory makes room for a new number by dropping one entry, not all.</summary>
[Collection(StatusCacheCollection.Name)]
public sealed class StatusCacheBoundTests(ThreeEntryStatusCacheApp app) : IClassFixture<ThreeEntryStatusCacheApp>
{
    private StatusCache Cache => app.Services.GetRequiredService<StatusCache>();

    private async Task<bool> AnsweredFromCacheAsync(HttpClient pharmacy, string number)
    {
        var before = Cache.Hits;
        (await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}")).Code.ShouldBe(200);
        return Cache.Hits > before;
    }

    private async Task CachedAsync(HttpClient pharmacy, string number)
    {
        for (var i = 0; i < 50 && !await AnsweredFromCacheAsync(pharmacy, number); i++)
        {
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task AFullCache_DropsOneEntryForANewNumber_NotAll_AndStaysWithinItsBound()
    {
        var park = await app.ParkAsync();
        var pharmacy = app.Pharmacy();
        var numbers = new List<string>();
        foreach (var name in new[] { "Bound A", "Bound B", "Bound C", "Bound D" })
        {
            numbers.Add(await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, name)));
        }

        foreach (var n in numbers[..3])
        {
            await CachedAsync(pharmacy, n);
        }

        Cache.Count.ShouldBe(3);

        // A stale entry read again at the bound is replaced in place.
        var confirmed = await pharmacy.PostAsync($"/api/v1/authorizations/{numbers[0]}/confirmations");
        confirmed.Code.ShouldBe(201, confirmed.ToString());
        (await AnsweredFromCacheAsync(pharmacy, numbers[0])).ShouldBeFalse();
        Cache.Count.ShouldBe(3);

        // A fourth number: one entry makes room for it, the others stay (before session 11 all went).
        await CachedAsync(pharmacy, numbers[3]);
        Cache.Count.ShouldBe(3);

        for (var round = 0; round < 3; round++)
        {
            foreach (var n in numbers)
            {
                (await pharmacy.GetJsonAsync($"/api/v1/authorizations/{n}")).Code.ShouldBe(200);
                Cache.Count.ShouldBeLessThanOrEqualTo(3);
            }
        }
    }
}

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

        // Again, with the codes, sources and evidence tags now encoded once and found by reference;
        // and with equal strings that are other instances, found by nothing.
        System.Text.Json.JsonSerializer.Serialize(dto, Infrastructure.Json.Options).ShouldBe(expected);
        var copies = dto with { Reasons = [.. dto.Reasons.Select(r => r with { Code = new string(r.Code), Source = new string(r.Source), Evidence = new string(r.Evidence) })] };
        System.Text.Json.JsonSerializer.Serialize(copies, Infrastructure.Json.Options).ShouldBe(expected);

        var back = System.Text.Json.JsonSerializer.Deserialize<Infrastructure.DecisionDto>(actual, Infrastructure.Json.Options)!;
        back.Outcome.ShouldBe(dto.Outcome);
        back.UsesUnverifiedRules.ShouldBeTrue();
        back.Reasons.ShouldBe(dto.Reasons);
    }
}

/// <summary>
/// The per-patient counts' protocol (DataGeneration), on the cases that must hold whatever other
/// tests in this process write meanwhile: each asserts that a read is NOT kept, or an entry NOT
/// current, which further writes elsewhere can only confirm.
/// </summary>
public sealed class DataGenerationTests
{
    [Fact]
    public void AReadDuringAWriteToItsPatient_IsNotKept()
    {
        var before = DataGeneration.Before();
        using var batch = DataGeneration.OpenPatientBatch();
        DataGeneration.WritingFor("pat_gen_writing");
        DataGeneration.TryStamp(before, "pat_gen_writing", out _).ShouldBeFalse();
    }

    [Fact]
    public void AReadThatAPatientBatchFinishedDuring_IsNotKept_WhateverItsPatient()
    {
        // The batch's commit may have fallen inside the read, and the reader learns its patient only from what it read.
        var before = DataGeneration.Before();
        using (DataGeneration.OpenPatientBatch())
        {
            DataGeneration.WritingFor("pat_gen_someone_else");
        }

        DataGeneration.TryStamp(before, "pat_gen_reader", out _).ShouldBeFalse();
    }

    [Fact]
    public void AnEntry_IsStaleFromTheMomentAWriteToItsPatientBegins_BeforeItsCommit()
    {
        var stamp = default(DataGeneration.Stamp);
        var kept = false;
        for (var i = 0; i < 1000 && !kept; i++)
        {
            kept = DataGeneration.TryStamp(DataGeneration.Before(), "pat_gen_entry", out stamp);
        }

        kept.ShouldBeTrue();
        using var batch = DataGeneration.OpenPatientBatch();
        DataGeneration.WritingFor("pat_gen_entry");
        DataGeneration.IsCurrent(stamp).ShouldBeFalse();
    }

    [Fact]
    public void OutsideAPatientBatch_WritingForMarksNothing_AndTheGlobalCountStillRules()
    {
        // Outside a patient batch the commit moves the global count; a mark here would never be taken down.
        DataGeneration.WritingFor("pat_gen_unscoped");
        var stamp = default(DataGeneration.Stamp);
        var kept = false;
        for (var i = 0; i < 1000 && !kept; i++)
        {
            kept = DataGeneration.TryStamp(DataGeneration.Before(), "pat_gen_unscoped", out stamp);
        }

        kept.ShouldBeTrue();
        DataGeneration.Advance();
        DataGeneration.IsCurrent(stamp).ShouldBeFalse();
    }
}

/// <summary>Which writes through EF count as writes to what the status cache keeps.</summary>
[Collection(StatusCacheCollection.Name)]
public sealed partial class CachedTablesTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    /// <summary>
    /// The counts see the tables EF writes, so the schema must write none of its own: no trigger,
    /// and no foreign key whose action (a cascade, a set null) would change a cached row that no
    /// statement named. Checked on the migrated database.
    /// </summary>
    [Fact]
    public async Task TheSchema_WritesNoRowOfItsOwn()
    {
        await using var c = new SqliteConnection(app.Storage.ConnectionString);
        await c.OpenAsync(TestContext.Current.CancellationToken);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT 'trigger ' || name FROM sqlite_master WHERE type = 'trigger'
            UNION ALL
            SELECT 'foreign key ' || m.name || ' -> ' || f."table" || ' ' || f.on_delete || '/' || f.on_update
            FROM sqlite_master m, pragma_foreign_key_list(m.name) f
            WHERE m.type = 'table' AND (f.on_delete NOT IN ('NO ACTION', 'RESTRICT') OR f.on_update NOT IN ('NO ACTION', 'RESTRICT'))
            """;
        var found = new List<string>();
        await using (var r = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await r.ReadAsync(TestContext.Current.CancellationToken))
            {
                found.Add(r.GetString(0));
            }
        }

        found.ShouldBeEmpty();
    }

    [System.Text.RegularExpressions.GeneratedRegex("""\b(?:FROM|JOIN)\s+([a-z_]+)""")]
    private static partial System.Text.RegularExpressions.Regex TableReference();

    /// <summary>Every table the status check's facts are read from is a cached table, and each cached table is one of the model's.</summary>
    [Fact]
    public void TheCachedTables_AreTheTablesTheCountersFactsAreReadFrom()
    {
        var read = TableReference().Matches(FactsQuery.CounterRowSql + FactsQuery.HoldsAndOutagesSql).Select(m => m.Groups[1].Value).ToHashSet();
        read.ShouldContain("authorizations");
        read.ShouldBeSubsetOf(DataGeneration.CachedTables);

        using var db = new ImidCareDb(new DbContextOptionsBuilder<ImidCareDb>().UseSqlite("Data Source=:memory:").Options);
        var tables = db.Model.GetEntityTypes().Select(t => t.GetTableName()).ToHashSet();
        DataGeneration.CachedTables.ShouldBeSubsetOf(tables);
    }

    [Theory]
    [InlineData("DELETE FROM \"sessions\" AS \"s\"\nWHERE \"s\".\"TokenHash\" = @hash", "sessions")]
    [InlineData("UPDATE \"reminders\" AS \"r\"\nSET \"EmailedAt\" = NULL\nWHERE \"r\".\"Id\" IN (@p0);\n", "reminders")]
    [InlineData("  DELETE FROM \"seen_jwt_ids\" AS \"s\" WHERE \"s\".\"ExpiresAt\" < @cutoff", "seen_jwt_ids")]
    [InlineData("DELETE FROM \"sessions\" AS \"s\";\nDELETE FROM \"authorizations\"", null)]
    [InlineData("DELETE FROM sessions AS s\nWHERE s.\"TokenHash\" = @hash", "sessions")]
    [InlineData("UPDATE reminders AS r SET \"EmailedAt\" = NULL", "reminders")]
    [InlineData("DELETE FROM public.authorizations WHERE 1 = 1", null)]
    [InlineData("DELETE FROM \"Sessions\"x", null)]
    [InlineData("INSERT INTO \"sessions\" (\"TokenHash\") VALUES (@p0)", null)]
    [InlineData("WITH x AS (DELETE FROM \"authorizations\" RETURNING 1) UPDATE \"sessions\" SET \"UserId\" = 1", null)]
    public void ABulkStatementsTable_IsReadOnlyFromExactlyOneStatement(string sql, string? table) =>
        WriteObserver.BulkTarget(sql).ShouldBe(table);
}

/// <summary>The PostgreSQL watcher's reading of the cached tables' write count: whose values moved it since the last look.</summary>
public sealed class CachedFactsVersionTests
{
    [Fact]
    public void TheFirstLook_HasNothingToCompareWith_ThenOnlyAMoveCounts()
    {
        var version = new CachedFactsVersion();
        using var watching = version.Watch();
        version.Look(10).ShouldBeTrue();
        version.Look(10).ShouldBeFalse();
        version.Look(11).ShouldBeTrue(); // 11 was not the gate's
    }

    [Fact]
    public void TheGatesOwnValues_AreNotAnothersWrite_ButOneAmongThemIs()
    {
        var version = new CachedFactsVersion();
        using var watching = version.Watch();
        version.Look(10);
        version.Committed(11);
        version.Committed(12);
        version.Look(12).ShouldBeFalse();

        version.Committed(13);
        version.Committed(15);
        version.Look(15).ShouldBeTrue(); // 14 was someone else's
    }

    [Fact]
    public void AValueRecordedAfterTheLookThatCountedIt_IsDroppedThere_AndNeverExcusesALaterOne()
    {
        var version = new CachedFactsVersion();
        using var watching = version.Watch();
        version.Look(20);
        version.Look(21).ShouldBeTrue(); // committed, not yet recorded: taken for another's
        version.Committed(21);
        version.Look(21).ShouldBeFalse();
        version.IsOwn(21).ShouldBeFalse();
        version.Look(22).ShouldBeTrue();
    }

    [Fact]
    public void ACountGoneBack_IsAWrite_AndForgetsEveryRecordedValue()
    {
        var version = new CachedFactsVersion();
        using var watching = version.Watch();
        version.Look(50);
        version.Committed(52); // recorded, then the database restored to before it
        version.Look(40).ShouldBeTrue();
        version.IsOwn(52).ShouldBeFalse();
    }

    [Fact]
    public void TooManyValuesToCheck_CountAsAWrite()
    {
        var version = new CachedFactsVersion();
        using var watching = version.Watch();
        version.Look(0);
        version.Look(CachedFactsVersion.MaxChecked + 1).ShouldBeTrue();
    }

    [Fact]
    public void WithNoWatcher_NothingIsRecorded()
    {
        var version = new CachedFactsVersion();
        version.Committed(3);
        version.IsOwn(3).ShouldBeFalse();
        using (version.Watch())
        {
            version.Committed(4);
            version.IsOwn(4).ShouldBeTrue();
        }
    }

    [Fact]
    public void AFailedLook_LeavesTheNextWithNothingToCompareWith()
    {
        var version = new CachedFactsVersion();
        using var watching = version.Watch();
        version.Look(7);
        version.Reset();
        version.Look(7).ShouldBeTrue();
    }
}

/// <summary>
/// The cached tables' write count on a real PostgreSQL: what moves it (a committed write to a
/// cached table, once per transaction, whoever makes it) and what does not (a rolled-back
/// savepoint, a write to another table, an ANALYZE); and the write gate records its own values.
/// Other tests write to the same database meanwhile, so a "did not move" gets a few attempts.
/// </summary>
[Collection(StatusCacheCollection.Name)]
public sealed class PostgresCachedFactsVersionTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    private async Task<NpgsqlConnection> OpenAsync()
    {
        var c = new NpgsqlConnection(app.Storage.EffectiveConnectionString);
        await c.OpenAsync();
        return c;
    }

    private static async Task<long> CountAsync(NpgsqlConnection c)
    {
        await using var cmd = new NpgsqlCommand(CachedFactsVersion.ReadSql, c);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task ExecAsync(NpgsqlConnection c, string sql, NpgsqlTransaction? tx = null)
    {
        await using var cmd = new NpgsqlCommand(sql, c, tx);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Runs <paramref name="write"/> until the count moved by exactly <paramref name="by"/> across it (other tests may write meanwhile).</summary>
    private async Task MovesByAsync(int by, Func<NpgsqlConnection, Task> write)
    {
        await using var watcher = await OpenAsync();
        await using var writer = await OpenAsync();
        var moved = new List<long>();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var before = await CountAsync(watcher);
            await write(writer);
            moved.Add(await CountAsync(watcher) - before);
            if (moved[^1] == by)
            {
                return;
            }
        }

        moved.ShouldAllBe(m => m == by, "in five attempts");
    }

    /// <summary>A committed row in a table no cached fact is read from (a stored idempotent reply).</summary>
    internal const string WriteToAnotherTable = """
        INSERT INTO idempotency ("CallerId", "Key", "RequestHash", "StatusCode", "ResponseJson", "At")
        VALUES ('test', gen_random_uuid()::text, 'h', 200, '{}', 0)
        """;

    // A statement trigger fires even when no row matches: these touch the cached tables and change nothing.
    private const string TouchAuthorizations = """UPDATE authorizations SET "Version" = "Version" WHERE "Number" = 'none'""";
    private const string TouchOutages = """DELETE FROM outages WHERE "Reason" = 'none'""";

    [Fact]
    public Task AWriteToACachedTable_MovesTheCount_OncePerTransaction() =>
        MovesByAsync(1, async c =>
        {
            await using var tx = await c.BeginTransactionAsync();
            await ExecAsync(c, TouchAuthorizations, tx);
            await ExecAsync(c, TouchOutages, tx);
            await ExecAsync(c, TouchAuthorizations, tx);
            await tx.CommitAsync();
        });

    [Fact]
    public Task ARolledBackTransactionOrSavepoint_TakesItsValueBack() =>
        MovesByAsync(0, async c =>
        {
            await using (var tx = await c.BeginTransactionAsync())
            {
                await ExecAsync(c, TouchAuthorizations, tx);
                await tx.RollbackAsync();
            }

            await using (var tx = await c.BeginTransactionAsync())
            {
                await ExecAsync(c, "SAVEPOINT s", tx);
                await ExecAsync(c, TouchOutages, tx);
                await ExecAsync(c, "ROLLBACK TO SAVEPOINT s", tx);
                await ExecAsync(c, WriteToAnotherTable, tx);
                await tx.CommitAsync();
            }
        });

    [Fact]
    public Task AWriteToAnotherTable_OrAnAnalyze_LeavesTheCount() =>
        MovesByAsync(0, async c =>
        {
            await ExecAsync(c, WriteToAnotherTable);
            await ExecAsync(c, "ANALYZE authorizations; ANALYZE patients");
        });

    /// <summary>
    /// The tables the trigger is on are exactly the cached tables (a table added to one list and
    /// not the other is caught here), and it is the schema's only trigger: EF's count of the
    /// tables a write touches (DataGeneration) relies on no other row being written behind a statement.
    /// </summary>
    [Fact]
    public async Task EveryCachedTable_AndNoOther_MovesTheCount()
    {
        await using var c = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal", c);
        var tables = new HashSet<string>();
        var others = new List<string>();
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                if (r.GetString(0) == CachedFactsVersion.Trigger)
                {
                    tables.Add(r.GetString(1));
                }
                else
                {
                    others.Add($"{r.GetString(0)} on {r.GetString(1)}");
                }
            }
        }

        tables.ShouldBe(DataGeneration.CachedTables, ignoreOrder: true);
        others.ShouldBeEmpty();
    }

    /// <summary>
    /// Confirmations queued together share a batch, each in a savepoint: the batch's transaction
    /// takes one value, and the gate records it as its own once committed. The watcher forgets a
    /// value at its next look (100 ms); on a busy machine the check can come later, so a few attempts.
    /// </summary>
    [Fact]
    public async Task ABatchOfConfirmations_TakesOneValue_AndTheGateRecordsIt()
    {
        var gate = app.Services.GetRequiredService<WriteGate>();
        gate.CachedFacts.Recording.ShouldBeTrue("this server's watcher is running");
        var park = await app.ParkAsync();
        var pharmacy = app.Pharmacy();
        await using var watcher = await OpenAsync();

        var recorded = false;
        for (var attempt = 0; attempt < 3 && !recorded; attempt++)
        {
            var numbers = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                numbers.Add(await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, $"Version {attempt}-{i}")));
            }

            // The writer held by one waiting write, so the three confirmations queue into one batch.
            var (release, holding) = await WriterHold.HoldWriterAsync(gate);
            var batchesBefore = gate.Batches;
            var before = await CountAsync(watcher);
            var confirming = numbers.Select(n => pharmacy.PostAsync($"/api/v1/authorizations/{n}/confirmations")).ToList();
            await WriterHold.QueuedAsync(gate, 3);
            release.SetResult();
            await holding;
            foreach (var c in confirming)
            {
                (await c).Code.ShouldBe(201);
            }

            var after = await CountAsync(watcher);
            (gate.Batches - batchesBefore).ShouldBe(2, "the held write's batch and one batch of the three confirmations");
            recorded = after == before + 1 && gate.CachedFacts.IsOwn(after);
        }

        recorded.ShouldBeTrue("in three attempts, the batch moved the count by one and the gate recorded that value as its own");
    }
}
