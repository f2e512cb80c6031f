using ImidCare.Server.Hosting;
using ImidCare.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
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
