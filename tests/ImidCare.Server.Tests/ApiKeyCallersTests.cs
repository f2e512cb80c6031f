using System.Security.Claims;
using ImidCare.Server.Security;
using ImidCare.Server.Tests.Support;
using ImidCare.Store.Entities;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>An organisation key's caller, remembered for <see cref="ApiKeyCallers.For"/> and no longer.</summary>
public sealed class ApiKeyCallersTests
{
    private static readonly Instant Start = Instant.FromUtc(2026, 12, 4, 12, 0);
    private static readonly Caller Pharmacy = new("key_1", Roles.PharmacySystem, "Main Street", PharmacyId: "phm_1");

    [Fact]
    public void AKey_IsKnownUntilItsWindowEnds_AndNotAtItsEnd()
    {
        var clock = new SettableClock(Start);
        var keys = new ApiKeyCallers(clock);
        var remembered = keys.Remember("secret-key", Pharmacy);

        clock.Now = Start + ApiKeyCallers.For - Duration.FromTicks(1);
        keys.TryGet("secret-key", out var known).ShouldBeTrue();
        known.ShouldBeSameAs(remembered);

        clock.Now = Start + ApiKeyCallers.For;
        keys.TryGet("secret-key", out _).ShouldBeFalse();

        // Gone, not only hidden: the clock going back does not bring it back.
        clock.Now = Start;
        keys.TryGet("secret-key", out _).ShouldBeFalse();
    }

    [Fact]
    public void OnlyTheExactKey_IsKnown()
    {
        var keys = new ApiKeyCallers(new SettableClock(Start));
        keys.Remember("secret-key", Pharmacy);
        keys.TryGet("Secret-key", out _).ShouldBeFalse();
        keys.TryGet("secret-key ", out _).ShouldBeFalse();
        keys.TryGet("", out _).ShouldBeFalse();
    }

    [Fact]
    public void TheCaller_ComesBackFromItsPrincipal_AndFromClaimsAlone()
    {
        var principal = Pharmacy.ToPrincipal(ImidCareAuthHandler.SchemeName);
        Caller.From(principal).ShouldBeSameAs(Pharmacy);

        // A principal rebuilt from its claims (as the web's cookie is) is read from the claims.
        var rebuilt = new ClaimsPrincipal(new ClaimsIdentity(principal.Claims, "Cookies"));
        Caller.From(rebuilt).ShouldBe(Pharmacy);
        rebuilt.FindFirstValue("pharmacy").ShouldBe("phm_1");
        rebuilt.FindFirstValue(ClaimTypes.Role).ShouldBe(Roles.PharmacySystem);
    }
}
