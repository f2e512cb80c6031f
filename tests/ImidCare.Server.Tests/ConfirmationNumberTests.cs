using ImidCare.Rules.Rems;
using ImidCare.Server.Rems;
using ImidCare.Server.Tests.Support;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>
/// Confirmation numbers count up in issue order (ConfirmationNumbers), on every path that issues
/// one, step over a number someone else took, and leave the sequence for random draws at its end.
/// </summary>
public abstract class ConfirmationNumberTests(ImidCareApp app)
{
    internal static long Payload(string number) => RemsNumber.TryParse(number, 'C', out var n, out var error) ? n.Value.Payload : throw new ShouldAssertException(error);

    /// <summary>Confirmation rows written around the write gate (reversed, so they stand for nothing), as no part of ImidCare writes them.</summary>
    internal static async Task AddConfirmationRowsAsync(ImidCareApp app, string authorization, params string[] numbers)
    {
        await using var db = await app.DbAsync();
        foreach (var number in numbers)
        {
            db.Confirmations.Add(new ConfirmationRecord
            {
                Number = number, AuthorizationNumber = authorization, PharmacyId = "phy_demo_main", IssuedAt = app.Clock.Now,
                ExpiresAt = app.Clock.Now + Duration.FromHours(24), State = "reversed", Version = 1,
            });
        }

        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ConfirmationNumbers_CountUp_InIssueOrder_OnBothPaths()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var first = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Nina Number"));
        var second = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Noel Number"));
        var third = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Nora Number"));

        var c1 = (await pharmacy.PostAsync($"/api/v1/authorizations/{first}/confirmations")).Str("number");
        var oneStep = await pharmacy.PostAsync($"/api/v1/authorizations/{second}/dispense", Scenario.DispenseBody());
        oneStep.Code.ShouldBe(201, oneStep.ToString());
        var c2 = oneStep.Body.GetProperty("confirmation").GetProperty("number").GetString()!;
        var c3 = (await pharmacy.PostAsync($"/api/v1/authorizations/{third}/confirmations")).Str("number");

        foreach (var c in new[] { c1, c2, c3 })
        {
            RemsNumber.TryParse(c, 'C', out _, out var error).ShouldBeTrue(error);
            c.ShouldStartWith("C0");
        }

        Payload(c2).ShouldBe(Payload(c1) + 1);
        Payload(c3).ShouldBe(Payload(c2) + 1);
    }

    /// <summary>
    /// A number written by something outside the write gate (nothing in ImidCare does) is not
    /// issued twice: the insert finds it taken, the last number is read again, the next is drawn.
    /// </summary>
    [Fact]
    public async Task ANumberTakenOutsideTheGate_IsSteppedOver()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var before = (await pharmacy.PostAsync($"/api/v1/authorizations/{await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Tess Taken"))}/confirmations")).Str("number");
        var other = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Tom Taken"));
        var next = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Tia Taken"));

        var squatted = RemsNumber.Create('C', Payload(before) + 1).Value;
        await AddConfirmationRowsAsync(app, other, squatted);

        var issued = await pharmacy.PostAsync($"/api/v1/authorizations/{next}/confirmations");
        issued.Code.ShouldBe(201, issued.ToString());
        Payload(issued.Str("number")).ShouldBe(Payload(before) + 2);

        await using var check = await app.DbAsync();
        (await check.Confirmations.AsNoTracking().SingleAsync(c => c.Number == squatted, TestContext.Current.CancellationToken)).AuthorizationNumber.ShouldBe(other);
    }
}

public sealed class SqliteConfirmationNumberTests(SqliteApp app) : ConfirmationNumberTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresConfirmationNumberTests(PostgresApp app) : ConfirmationNumberTests(app), IClassFixture<PostgresApp>;

/// <summary>
/// The sequence's end (a database of its own: the number it writes would end the sequence for
/// every other test): after payload 99,999,999 numbers are drawn at random again, from the range
/// random numbers always came from, and counting on into that range is not tried.
/// </summary>
public abstract class ConfirmationNumberEndTests(ImidCareApp app)
{
    [Fact]
    public async Task AfterTheLastNumberOfTheSequence_NumbersAreDrawnAtRandom()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var holder = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Lena Last"));
        // The sequence's last number, and the lowest a random draw ever gave, which counting on would meet.
        await ConfirmationNumberTests.AddConfirmationRowsAsync(
            app, holder, RemsNumber.Create('C', ConfirmationNumbers.SequenceEnd - 1).Value, RemsNumber.Create('C', ConfirmationNumbers.SequenceEnd).Value);

        var numbers = new List<string>();
        foreach (var name in new[] { "Liam Last", "Lola Last" })
        {
            var r = await pharmacy.PostAsync($"/api/v1/authorizations/{await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, name))}/confirmations");
            r.Code.ShouldBe(201, r.ToString());
            numbers.Add(r.Str("number"));
        }

        var payloads = numbers.Select(ConfirmationNumberTests.Payload).ToList();
        payloads.ShouldAllBe(p => p > ConfirmationNumbers.SequenceEnd);
        payloads[1].ShouldNotBe(payloads[0] + 1, "drawn at random, not counted on");
    }
}

public sealed class SqliteConfirmationNumberEndTests(SqliteApp app) : ConfirmationNumberEndTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresConfirmationNumberEndTests(PostgresApp app) : ConfirmationNumberEndTests(app), IClassFixture<PostgresApp>;
