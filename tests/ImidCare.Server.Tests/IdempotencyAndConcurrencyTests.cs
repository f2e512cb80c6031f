using ImidCare.Server.Hosting;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Tests.Support;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>A retried request never dispenses twice; two pharmacies racing for one authorization get one confirmation.</summary>
public abstract class IdempotencyAndConcurrencyTests(ImidCareApp app)
{
    [Fact]
    public async Task RetriedDispense_WithSameKey_ReturnsSameAnswerAndDispensesOnce()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var a = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Retry Rita"));
        var c = (await pharmacy.PostAsync($"/api/v1/authorizations/{a}/confirmations", idempotencyKey: "conf-" + a)).Str("number");
        var replayConfirm = await pharmacy.PostAsync($"/api/v1/authorizations/{a}/confirmations", idempotencyKey: "conf-" + a);
        replayConfirm.Code.ShouldBe(201);
        replayConfirm.Str("number").ShouldBe(c);

        var key = "disp-" + c;
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Scenario.DispenseAsync(pharmacy, c, key: key)));
        results.ShouldAllBe(r => r.Code == 201);
        results.Select(r => r.Str("id")).Distinct().Count().ShouldBe(1);

        await using var db = await app.DbAsync();
        (await db.Dispenses.CountAsync(d => d.ConfirmationNumber == c)).ShouldBe(1);
    }

    [Fact]
    public async Task SameKey_DifferentBody_IsRefused()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var a = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Key Reuse"));
        var c = (await pharmacy.PostAsync($"/api/v1/authorizations/{a}/confirmations")).Str("number");
        (await Scenario.DispenseAsync(pharmacy, c, days: 28, key: "k-" + c)).Code.ShouldBe(201);
        var other = await Scenario.DispenseAsync(pharmacy, c, days: 27, key: "k-" + c);
        other.Code.ShouldBe(422, other.ToString());
        other.Str("type").ShouldEndWith("idempotency-key-reused");
    }

    /// <summary>
    /// A stored answer is honoured for Writes.KeyRetention: stored at T, the same key at T + 24 h
    /// exactly replays it (nothing changes), at T + 24 h + one tick it is a new request, run and
    /// answered afresh, and its answer is the one the key replays from then on. The counseling
    /// record answers with the instant it was recorded, so a replay and a new run can be told apart.
    /// </summary>
    [Fact]
    public async Task AKey_IsHonouredUntilTheWindowEnds_AndATickLaterTheRequestIsNew()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var a = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Window Wendy"));
        var c = (await pharmacy.PostAsync($"/api/v1/authorizations/{a}/confirmations")).Str("number");
        var key = "counsel-" + c;
        var url = $"/api/v1/confirmations/{c}/counseling";
        var stored = ImidCareApp.Start + Duration.FromMinutes(1);
        app.Clock.Now = stored;
        var first = await pharmacy.PostAsync(url, Scenario.FullChecklist, key);
        first.Code.ShouldBe(200, first.ToString());
        first.Str("counseledAt").ShouldBe(Http.Iso(stored));

        app.Clock.Now = stored + Writes.KeyRetention;
        var replayed = await pharmacy.PostAsync(url, Scenario.FullChecklist, key);
        replayed.Raw.ShouldBe(first.Raw);
        (await CounseledAtAsync(c)).ShouldBe(stored);

        var past = stored + Writes.KeyRetention + Duration.FromTicks(1);
        app.Clock.Now = past;
        var fresh = await pharmacy.PostAsync(url, Scenario.FullChecklist, key);
        fresh.Code.ShouldBe(200, fresh.ToString());
        fresh.Str("counseledAt").ShouldBe(Http.Iso(past));
        (await CounseledAtAsync(c)).ShouldBe(past);
        app.Clock.Now = past + Duration.FromMinutes(1);
        (await pharmacy.PostAsync(url, Scenario.FullChecklist, key)).Raw.ShouldBe(fresh.Raw);

        await using var db = await app.DbAsync();
        (await db.IdempotencyRecords.Where(r => r.Key == key).Select(r => r.At).ToListAsync()).ShouldBe([past]);
    }

    /// <summary>
    /// Past the window a retried confirmation and dispense run again as new requests, and the REMS
    /// states refuse both: the authorization is dispensed, the confirmation used. One confirmation,
    /// one dispense, whatever the pharmacy system retries a day later.
    /// </summary>
    [Fact]
    public async Task ARetryAfterTheWindow_OfAConfirmationAndADispense_IsRefused_AndNothingIsDispensedTwice()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var a = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Late Retry"));
        var confirmed = await pharmacy.PostAsync($"/api/v1/authorizations/{a}/confirmations", idempotencyKey: "late-conf-" + a);
        confirmed.Code.ShouldBe(201, confirmed.ToString());
        var c = confirmed.Str("number");
        (await Scenario.DispenseAsync(pharmacy, c, key: "late-disp-" + c)).Code.ShouldBe(201);

        app.Clock.Advance(Writes.KeyRetention + Duration.FromHours(1));
        var confirmAgain = await pharmacy.PostAsync($"/api/v1/authorizations/{a}/confirmations", idempotencyKey: "late-conf-" + a);
        confirmAgain.Code.ShouldBe(409, confirmAgain.ToString());
        var dispenseAgain = await Scenario.DispenseAsync(pharmacy, c, key: "late-disp-" + c);
        dispenseAgain.Code.ShouldBe(409, dispenseAgain.ToString());
        dispenseAgain.Raw.ShouldContain("already dispensed");

        await using var db = await app.DbAsync();
        (await db.Confirmations.CountAsync(x => x.AuthorizationNumber == a)).ShouldBe(1);
        (await db.Dispenses.CountAsync(d => d.AuthorizationNumber == a)).ShouldBe(1);
    }

    /// <summary>
    /// The purge deletes only answers a read would no longer honour (stored before now − 24 h; one
    /// stored exactly then stays), oldest first, at most BatchSize per write-gate request, and
    /// PurgeAsync goes on until a batch comes back short. This test's expired rows are older than
    /// any other test's (2001), so the first batch takes only them; other tests' rows may go in the
    /// next, and only this test's are counted.
    /// </summary>
    [Fact]
    public async Task ThePurge_DeletesOnlyAnswersPastTheWindow_ABoundedBatchAtATime()
    {
        var now = ImidCareApp.Start + Duration.FromDays(40);
        app.Clock.Now = now;
        var caller = "purge-test-" + Guid.NewGuid().ToString("N");
        var cutoff = now - Writes.KeyRetention;
        var expired = IdempotencyPurge.BatchSize + 20;
        await using (var db = await app.DbAsync())
        {
            var ancient = Instant.FromUtc(2001, 1, 1, 0, 0);
            db.IdempotencyRecords.AddRange(Enumerable.Range(0, expired).Select(i => Row(caller, $"old-{i:D4}", ancient + Duration.FromTicks(i))));
            db.IdempotencyRecords.AddRange(Row(caller, "at-edge", cutoff), Row(caller, "recent", now - Duration.FromHours(1)));
            await db.SaveChangesAsync();
        }

        var purge = app.Services.GetRequiredService<IdempotencyPurge>();
        (await purge.PurgeBatchAsync()).ShouldBe(IdempotencyPurge.BatchSize);
        await using (var db = await app.DbAsync())
        {
            // Oldest first: what is left of this test's expired rows are its newest.
            var left = await db.IdempotencyRecords.Where(r => r.CallerId == caller && r.Key.StartsWith("old-")).Select(r => r.Key).OrderBy(k => k).ToListAsync();
            left.ShouldBe([.. Enumerable.Range(IdempotencyPurge.BatchSize, expired - IdempotencyPurge.BatchSize).Select(i => $"old-{i:D4}")]);
        }

        (await purge.PurgeAsync()).ShouldBeGreaterThanOrEqualTo(1);
        await using (var db = await app.DbAsync())
        {
            (await db.IdempotencyRecords.Where(r => r.CallerId == caller).Select(r => r.Key).OrderBy(k => k).ToListAsync()).ShouldBe(["at-edge", "recent"]);
        }

        (await purge.PurgeAsync()).ShouldBe(0);
    }

    private static IdempotencyRecord Row(string caller, string key, Instant at) =>
        new() { CallerId = caller, Key = key, RequestHash = "h", StatusCode = 200, ResponseJson = "{}", At = at };

    private async Task<Instant?> CounseledAtAsync(string confirmation)
    {
        await using var db = await app.DbAsync();
        return await db.Confirmations.Where(x => x.Number == confirmation).Select(x => x.CounseledAt).SingleAsync();
    }

    [Fact]
    public async Task TwoPharmacies_ConfirmingAtOnce_ExactlyOneSucceeds()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var admin = await app.AdminAsync();
        var other = await admin.PostAsync("/api/v1/pharmacies", new
        {
            ncpdpId = Rules.Rems.NcpdpId.FromSixDigits(Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture)).Value,
            npi = "1234567893", name = "Rival Pharmacy", kind = "site", representative = new { name = "Rep", attests = true },
        });
        other.Code.ShouldBe(201, other.ToString());
        (await admin.PostAsync($"/api/v1/pharmacies/{other.Str("id")}/staff-training", new { staffName = "S", program = "POM", completedOn = "2026-11-01" })).Code.ShouldBe(201);
        (await admin.PostAsync($"/api/v1/pharmacies/{other.Str("id")}/certifications", new { program = "POM" })).Code.ShouldBe(201);

        using var first = app.Client(apiKey: DemoSeed.PharmacyKey);
        using var second = app.Client(apiKey: other.Str("apiKey"));
        for (var round = 0; round < 5; round++)
        {
            var a = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, $"Race {round}"));
            var racers = Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? first : second).PostAsync($"/api/v1/authorizations/{a}/confirmations"));
            var results = await Task.WhenAll(racers);
            results.Count(r => r.Code == 201).ShouldBe(1, string.Join("\n", results.Select(r => r.ToString())));
            results.Where(r => r.Code != 201).ShouldAllBe(r => r.Code == 409);
            await using var db = await app.DbAsync();
            (await db.Confirmations.CountAsync(x => x.AuthorizationNumber == a)).ShouldBe(1);
        }
    }
}

public sealed class SqliteIdempotencyAndConcurrencyTests(SqliteApp app) : IdempotencyAndConcurrencyTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresIdempotencyAndConcurrencyTests(PostgresApp app) : IdempotencyAndConcurrencyTests(app), IClassFixture<PostgresApp>;

/// <summary>The server with the purge's background loop on, looking every 200 ms.</summary>
public sealed class PurgingApp : SqliteApp
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["ImidCare:Idempotency:PurgeEnabled"] = "true",
        ["ImidCare:Idempotency:PurgeInterval"] = "00:00:00.200",
    };
}

/// <summary>The purge runs by itself: a server left alone deletes a stored answer once it is past the window.</summary>
public sealed class IdempotencyPurgeServiceTests(PurgingApp app) : IClassFixture<PurgingApp>
{
    [Fact]
    public async Task AStoredAnswer_IsDeletedInTheBackground_OncePastTheWindow()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var pharmacy = app.Pharmacy();
        using var park = await app.ParkAsync();
        var a = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Purged Paula"));
        var key = "bg-" + a;
        (await pharmacy.PostAsync($"/api/v1/authorizations/{a}/confirmations", idempotencyKey: key)).Code.ShouldBe(201);

        async Task<bool> Stored()
        {
            await using var db = await app.DbAsync();
            return await db.IdempotencyRecords.AnyAsync(r => r.Key == key);
        }

        // Rounds at the window's edge keep it.
        app.Clock.Now = ImidCareApp.Start + Writes.KeyRetention;
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        (await Stored()).ShouldBeTrue();

        app.Clock.Advance(Duration.FromSeconds(1));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (await Stored())
        {
            watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20), "the purge loop never deleted the expired answer");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
