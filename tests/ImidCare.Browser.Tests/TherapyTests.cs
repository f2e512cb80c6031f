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

    [Fact]
    public async Task Prescriber_IsOfferedOnlyRegimensOfThePatientsMedicine_AndAnotherIsRefusedNextToTheField()
    {
        var page = await app.LoginAsync("dr.park", "demo-park-2026");
        await page.GotoAsync("/office/therapy/pat_demo_john");
        var regimen = page.GetByLabel("Regimen", new() { Exact = true });
        var offered = await regimen.Locator("option").AllInnerTextsAsync();
        offered.Count.ShouldBe(5, string.Join("; ", offered));
        offered.ShouldAllBe(o => o.StartsWith("Lenalidomide", StringComparison.Ordinal));
        (await regimen.InputValueAsync()).ShouldBe("len-mm-rd");

        // A form sent with another medicine's regimen all the same (an old tab, a crafted post) is refused by the plan handler, next to the field.
        await regimen.EvaluateAsync("s => { s.add(new Option('Pomalidomide + dexamethasone (Pd)', 'pom-mm-pd')); s.value = 'pom-mm-pd'; }");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save plan" }).ClickAsync();
        (await page.Locator("[data-valmsg-for='Plan.RegimenId']").InnerTextAsync()).ShouldContain("REMS program is for lenalidomide");
        (await page.Locator("main").InnerTextAsync()).ShouldNotContain("The plan is saved");
        await page.GotoAsync("/office/therapy/pat_demo_john");
        (await page.GetByLabel("Regimen", new() { Exact = true }).InputValueAsync()).ShouldBe("len-mm-rd");

        await page.GotoAsync("/office/therapy/pat_demo_maria");
        var pom = await page.GetByLabel("Regimen", new() { Exact = true }).Locator("option").AllInnerTextsAsync();
        pom.ShouldContain("Pomalidomide + dexamethasone (Pd)");
        pom.ShouldNotContain(o => o.StartsWith("Lenalidomide", StringComparison.Ordinal));
        await page.Context.CloseAsync();
    }
}
