using ImidCare.Browser.Tests.Support;
using Microsoft.Playwright;
using Shouldly;

namespace ImidCare.Browser.Tests;

/// <summary>The prescriber's therapy page: calendar, dose-modification assistant fed by lab values, response chart.</summary>
[Collection(WebCollection.Name)]
public sealed class TherapyTests(WebApp app)
{
    [Fact]
    public async Task Prescriber_SeesTheCalendar_AndGetsDoseAdviceFromCounts()
    {
        var page = await app.LoginAsync("dr.park", "demo-park-2026");
        await page.GotoAsync("/office/therapy/pat_demo_john");
        await Assertions.Expect(page.Locator("table.calendar")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "M-protein (serum)" })).ToBeVisibleAsync();

        await page.GetByLabel("Blood taken on").FillAsync("2026-11-17");
        await page.GetByLabel("ANC (cells/µL)").FillAsync("-5");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record and advise" }).ClickAsync();
        (await page.Locator(".field-validation-error").InnerTextAsync()).ShouldContain("ANC");
        (await page.GetByLabel("ANC (cells/µL)").InputValueAsync()).ShouldBe("-5");

        await page.GetByLabel("ANC (cells/µL)").FillAsync("400");
        await page.GetByLabel("Platelets (cells/µL)").FillAsync("120000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record and advise" }).ClickAsync();
        (await page.Locator("#dose-action").InnerTextAsync()).ShouldBe("Hold");
        await WebApp.ScreenshotAsync(page, "office-therapy");
        await page.Context.CloseAsync();

        var ode = await app.LoginAsync("dr.ode", "demo-ode-2026");
        (await ode.GotoAsync("/office/therapy/pat_demo_john"))!.Status.ShouldBe(403);
        await ode.Context.CloseAsync();
    }
}
