using ImidCare.Browser.Tests.Support;
using Microsoft.Playwright;
using Shouldly;

namespace ImidCare.Browser.Tests;

/// <summary>Program staff pages and the patient's companion.</summary>
[Collection(WebCollection.Name)]
public sealed class AdminAndPatientTests(WebApp app)
{
    [Fact]
    public async Task Safety_SeesTheDashboard_VerifiesTheAuditChain_AndReviewsHolds()
    {
        var page = await app.LoginAsync("safety", "demo-safety-2026");
        page.Url.ShouldEndWith("/admin");
        int.Parse(await page.Locator("#holds").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThanOrEqualTo(1);
        (await page.Locator("main").InnerTextAsync()).ShouldContain("Rosa Diaz");
        await WebApp.ScreenshotAsync(page, "admin-compliance");

        await page.OpenAsync("/admin/audit");
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify the hash chain" }).ClickAsync();
        (await page.Locator("#verify-result").InnerTextAsync()).ShouldStartWith("Chain intact");
        await page.GetByLabel("Subject contains").FillAsync("pat_demo_rosa");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        (await page.Locator("tbody").InnerTextAsync()).ShouldContain("patient.enrolled");
        await WebApp.ScreenshotAsync(page, "admin-audit");

        await page.OpenAsync("/admin/holds");
        (await page.Locator("main").InnerTextAsync()).ShouldContain("Rosa Diaz");
        await WebApp.ScreenshotAsync(page, "admin-holds");
        await page.OpenAsync("/admin/certifications");
        await page.OpenAsync("/admin/cases");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Patient_SeesToday_AndTakesTheSurvey_OnAPhoneSizedScreen()
    {
        var page = await app.LoginAsync("john", "demo-john-2026", width: 390);
        page.Url.ShouldEndWith("/me");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, John" })).ToBeVisibleAsync();

        // Today's dose, two hours after the usual 08:00: the missed-dose helper says take it now.
        (await page.Locator("#today-summary").InnerTextAsync()).ShouldStartWith("Take");
        (await page.Locator("#missed-dose").InnerTextAsync()).ShouldNotBeNullOrWhiteSpace();
        await WebApp.ScreenshotAsync(page, "companion-today");
        await page.GetByRole(AriaRole.Button, new() { Name = "I took today's dose" }).ClickAsync();
        (await page.Locator(".decision.ok").InnerTextAsync()).ShouldContain("today's dose is taken");
        (await page.Locator("#today-summary").InnerTextAsync()).ShouldContain("is taken");

        (await page.Locator("#diary-h").InnerTextAsync()).ShouldBe("My dose diary");

        // The cycle calendar as a subscription for the phone (.ics).
        await page.GetByRole(AriaRole.Button, new() { Name = "Add my cycle calendar to my phone" }).ClickAsync();
        var feed = await page.Locator("#feed-url").GetAttributeAsync("href");
        var ics = await page.Context.APIRequest.GetAsync(feed!);
        (await ics.TextAsync()).ShouldContain("BEGIN:VCALENDAR");

        // A symptom: the action level in plain words, with the numbers to call.
        await page.OpenAsync("/learn/symptoms?Drug=Lenalidomide");
        await page.GetByLabel("Or describe it in your own words").FillAsync("I have a fever and chills");
        await page.GetByRole(AriaRole.Button, new() { Name = "Check" }).ClickAsync();
        (await page.Locator("#level-h").InnerTextAsync()).ShouldBe("Call your prescriber or care team today.");
        (await page.Locator(".decision").InnerTextAsync()).ShouldContain("911");
        await WebApp.ScreenshotAsync(page, "companion-symptom-checker");

        await page.OpenAsync("/me/survey");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send my answers" }).ClickToNextPageAsync();
        (await page.Locator(".field-validation-error").CountAsync()).ShouldBe(6);
        foreach (var radio in await page.GetByLabel("No", new() { Exact = true }).AllAsync())
        {
            await radio.CheckAsync();
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Send my answers" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Thank you — your survey is done" })).ToBeVisibleAsync();
        await WebApp.ScreenshotAsync(page, "companion-survey");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Survey_AsksEachPatientOnlyWhatCanApplyToThem()
    {
        var maria = await app.LoginAsync("maria", "demo-maria-2026");
        await maria.OpenAsync("/me/survey");
        var asked = await maria.Locator("legend").AllInnerTextsAsync();
        asked.ShouldContain("Could you be pregnant?");
        asked.ShouldContain("Have you missed any birth control, or used it wrongly?");
        asked.ShouldNotContain(q => q.Contains("sperm", StringComparison.Ordinal));

        var john = await app.LoginAsync("john", "demo-john-2026");
        await john.OpenAsync("/me/survey");
        asked = await john.Locator("legend").AllInnerTextsAsync();
        asked.ShouldContain("Have you donated sperm?");
        asked.ShouldContain("Could your partner be pregnant?");
        asked.ShouldContain("Have you had sex without a condom?");
        await maria.Context.CloseAsync();
        await john.Context.CloseAsync();
    }

    [Fact]
    public async Task LearnPages_DrugPageAndWalletCard()
    {
        var context = await app.NewContextAsync(new() { ViewportSize = new() { Width = 390, Height = 844 } });
        var page = await context.NewPageAsync();
        var cspErrors = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                cspErrors.Add(m.Text);
            }
        };
        await page.OpenAsync("/learn/drug/pomalidomide");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Pomalidomide (Pomalyst)" })).ToBeVisibleAsync();
        await WebApp.ScreenshotAsync(page, "learn-pomalidomide");
        await page.OpenAsync("/learn/wallet-card?drug=pomalidomide");
        (await page.Locator("article").InnerTextAsync()).ShouldContain("I take pomalidomide");
        await WebApp.ScreenshotAsync(page, "learn-wallet-card");
        (await page.OpenAsync("/learn/drug/aspirin"))!.Status.ShouldBe(404);
        cspErrors.ShouldBeEmpty(); // the pages' own script runs under the server's content security policy
        await context.CloseAsync();
    }

    [Fact]
    public async Task SymptomChecker_StartsWithThePatientsMedicine_RefreshesItsListWithoutScript_AndAsksAgainForAnotherMedicinesSign()
    {
        // John takes lenalidomide: the Today page's link starts there.
        var john = await app.LoginAsync("john", "demo-john-2026");
        await john.OpenAsync("/me");
        await john.GetByRole(AriaRole.Link, new() { Name = "Not feeling well? Check a symptom" }).ClickToNextPageAsync();
        (await john.GetByLabel("My medicine").Locator("option:checked").InnerTextAsync()).ShouldBe("Lenalidomide");
        (await john.Locator("input[name=Symptom]").EvaluateAllAsync<string[]>("els => els.map(e => e.value)")).ShouldAllBe(id => id.StartsWith("len-"));

        // A sign from another medicine's list (an old link) is not "no match": the list comes again, with why.
        await john.OpenAsync("/learn/symptoms?Drug=1&Symptom=pom-fever");
        (await john.Locator(".decision").CountAsync()).ShouldBe(0);
        (await john.Locator("[data-valmsg-for='Symptom']").InnerTextAsync()).ShouldContain("list for Pomalidomide");
        await john.GetByLabel("Fever, chills or other signs of infection; unusual bleeding or bruising").CheckAsync();
        await john.GetByRole(AriaRole.Button, new() { Name = "Check" }).ClickAsync();
        (await john.Locator("#level-h").InnerTextAsync()).ShouldBe("Call your prescriber or care team today.");

        // Another medicine: "Show symptoms" brings its list (a plain GET form; no script needed).
        await john.GetByLabel("My medicine").SelectOptionAsync(new SelectOptionValue { Label = "Thalidomide" });
        await john.GetByRole(AriaRole.Button, new() { Name = "Show symptoms" }).ClickToNextPageAsync();
        (await john.Locator("input[name=Symptom]").EvaluateAllAsync<string[]>("els => els.map(e => e.value)")).ShouldAllBe(id => id.StartsWith("thal-"));
        (await WebApp.AxeViolationsAsync(john)).ShouldBeEmpty();
        await john.Context.CloseAsync();

        // His caregiver starts with his medicine too.
        var carla = await app.LoginAsync("carla", "demo-carla-2026");
        await carla.OpenAsync("/learn/symptoms");
        (await carla.GetByLabel("My medicine").Locator("option:checked").InnerTextAsync()).ShouldBe("Lenalidomide");
        await carla.Context.CloseAsync();

        // Anyone else is asked to choose, and gets the list of the medicine chosen.
        var context = await app.NewContextAsync(new() { JavaScriptEnabled = false });
        var anyone = await context.NewPageAsync();
        await anyone.OpenAsync("/learn/symptoms");
        (await anyone.Locator("#choose-medicine").InnerTextAsync()).ShouldContain("Choose your medicine");
        (await anyone.Locator("input[name=Symptom]").CountAsync()).ShouldBe(0);
        await anyone.GetByLabel("My medicine").SelectOptionAsync(new SelectOptionValue { Label = "Pomalidomide" });
        await anyone.GetByRole(AriaRole.Button, new() { Name = "Show symptoms" }).ClickAsync();
        await anyone.GetByLabel("Fever", new() { Exact = true }).CheckAsync();
        await anyone.GetByRole(AriaRole.Button, new() { Name = "Check" }).ClickAsync();
        (await anyone.Locator("#level-h").InnerTextAsync()).ShouldBe("Call your prescriber or care team today.");
        await context.CloseAsync();
    }
}
