using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ImidCare.Browser.Tests.Support;
using Microsoft.Playwright;
using NodaTime;
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
        await page.OpenAsync("/office/therapy/pat_demo_john");
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
        (await ode.OpenAsync("/office/therapy/pat_demo_john"))!.Status.ShouldBe(403);
        await ode.Context.CloseAsync();
    }

    [Fact]
    public async Task Prescriber_IsOfferedOnlyRegimensOfThePatientsMedicine_AndAnotherIsRefusedNextToTheField()
    {
        var page = await app.LoginAsync("dr.park", "demo-park-2026");
        await page.OpenAsync("/office/therapy/pat_demo_john");
        var regimen = page.GetByLabel("Regimen", new() { Exact = true });
        var offered = await regimen.Locator("option").AllInnerTextsAsync();
        offered.Count.ShouldBe(5, string.Join("; ", offered));
        offered.ShouldAllBe(o => o.StartsWith("Lenalidomide", StringComparison.Ordinal));
        (await regimen.InputValueAsync()).ShouldBe("len-mm-rd");

        // A form sent with another medicine's regimen all the same (an old tab, a crafted post) is refused by the plan handler, next to the field.
        await regimen.EvaluateAsync("s => { s.add(new Option('Pomalidomide + dexamethasone (Pd)', 'pom-mm-pd')); s.value = 'pom-mm-pd'; }");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save plan" }).ClickToNextPageAsync();
        (await page.Locator("[data-valmsg-for='Plan.RegimenId']").InnerTextAsync()).ShouldContain("REMS program is for lenalidomide");
        (await page.Locator("main").InnerTextAsync()).ShouldNotContain("The plan is saved");
        await page.OpenAsync("/office/therapy/pat_demo_john");
        (await page.GetByLabel("Regimen", new() { Exact = true }).InputValueAsync()).ShouldBe("len-mm-rd");

        await page.OpenAsync("/office/therapy/pat_demo_maria");
        var pom = await page.GetByLabel("Regimen", new() { Exact = true }).Locator("option").AllInnerTextsAsync();
        pom.ShouldContain("Pomalidomide + dexamethasone (Pd)");
        pom.ShouldNotContain(o => o.StartsWith("Lenalidomide", StringComparison.Ordinal));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Prescriber_ChangesTheDoseTimeOnThePage_AndTheHoldsSetThroughTheApiStay()
    {
        // A patient of this test's own (an adult male thalidomide patient), with a hold, dialysis days and the HIV flag set through the API.
        using var api = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        var session = await api.PostAsJsonAsync("/api/v1/session", new { username = "dr.park", password = "demo-park-2026" });
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await session.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString());
        var enrolled = await api.PostAsJsonAsync("/api/v1/patients", new
        {
            name = "Hal Holden", dateOfBirth = "1960-02-02", sex = "male", program = "THAL", prescriberId = "prs_demo_park",
            reproductive = new { mensesInLast24Months = false, naturalMenopauseAtLeast24Months = false, hysterectomy = false, bilateralOophorectomy = false },
            menstrualPattern = "none", agreement = new { signedBy = "Hal Holden", signerRole = "patient", textVersion = "THAL-PPAF-2021-08", accepted = true },
        });
        var id = (await enrolled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("patient").GetProperty("id").GetString()!;
        var set = await api.PutAsJsonAsync($"/api/v1/patients/{id}/plan", new
        {
            regimenId = "thal-mm-td", start = "2026-11-02", usualDoseTime = "21:00", timeZone = "America/New_York",
            holds = new[] { new { from = "2026-11-16", resumeOn = "2026-11-23", reason = "neuropathy grade 3" } }, dialysisDays = new[] { "2026-11-04" }, hivPositive = true,
        });
        ((int)set.StatusCode).ShouldBe(200, await set.Content.ReadAsStringAsync());

        app.Clock.Now = WebApp.Start + Duration.FromMinutes(1); // the page's plan is the later one
        try
        {
            var page = await app.LoginAsync("dr.park", "demo-park-2026");
            await page.OpenAsync($"/office/therapy/{id}");
            var kept = await page.Locator("#plan-kept").InnerTextAsync();
            kept.ShouldContain("neuropathy grade 3");
            kept.ShouldContain("HIV-positive");
            await page.GetByLabel("Usual dose time").FillAsync("22:00");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save plan" }).ClickToNextPageAsync();
            (await page.Locator("[role=status]").First.InnerTextAsync()).ShouldContain("The plan is saved");
            (await page.GetByLabel("Usual dose time").InputValueAsync()).ShouldStartWith("22:00");
            (await page.Locator("#plan-kept").InnerTextAsync()).ShouldContain("neuropathy grade 3");
            (await page.Locator("table.calendar td.day-held").CountAsync()).ShouldBeGreaterThan(0);
            await page.Context.CloseAsync();

            var plan = await api.GetFromJsonAsync<JsonElement>($"/api/v1/patients/{id}/plan");
            plan.GetProperty("usualDoseTime").GetString()!.ShouldStartWith("22:00");
            plan.GetProperty("holds").GetArrayLength().ShouldBe(1, plan.ToString());
            plan.GetProperty("dialysisDays").GetArrayLength().ShouldBe(1);
            plan.GetProperty("hivPositive").GetBoolean().ShouldBeTrue();
        }
        finally
        {
            app.Clock.Now = WebApp.Start;
        }
    }
}
