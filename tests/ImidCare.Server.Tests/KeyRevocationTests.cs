using ImidCare.Server.Hosting;
using ImidCare.Server.Security;
using ImidCare.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>
/// An organisation key removed from the database stops working everywhere it is accepted (X-Api-Key
/// on the API, a key sent as Bearer on the interop routes) once <see cref="ApiKeyCallers.For"/> has
/// passed since it was last found, and not before: both doors share one memory.
/// </summary>
public sealed class KeyRevocationTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task ARemovedKey_IsRefusedOnEveryDoor_AtTheEndOfItsWindow()
    {
        using var api = app.Client(apiKey: DemoSeed.PharmacyKey);
        using var interop = app.Client(bearer: DemoSeed.PharmacyKey);
        const string ApiPath = "/api/v1/pharmacies/phy_demo_main";
        const string FhirPath = "/4_0_0/Organization/phy-demo-main";

        // Found once through the interop door: that starts the window for both.
        var found = app.Clock.Now;
        (await interop.GetJsonAsync(FhirPath)).Code.ShouldBe(200);
        (await api.GetJsonAsync(ApiPath)).Code.ShouldBe(200);

        await using (var db = await app.DbAsync())
        {
            (await db.ApiClients.Where(c => c.Id == "key_demo_main").ExecuteDeleteAsync()).ShouldBe(1);
        }

        app.Clock.Now = found + ApiKeyCallers.For - Duration.FromTicks(1);
        (await api.GetJsonAsync(ApiPath)).Code.ShouldBe(200);
        (await interop.GetJsonAsync(FhirPath)).Code.ShouldBe(200);

        app.Clock.Now = found + ApiKeyCallers.For;
        (await api.GetJsonAsync(ApiPath)).Code.ShouldBe(401);
        (await interop.GetJsonAsync(FhirPath)).Code.ShouldBe(401);
    }
}
