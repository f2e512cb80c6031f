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

        await page.GotoAsync("/admin/audit");
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify the hash chain" }).ClickAsync();
        (await page.Locator("#verify-result").InnerTextAsync()).ShouldStartWith("Chain intact");
        await page.GetByLabel("Subject contains").FillAsync("pat_demo_rosa");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        (await page.Locator("tbody").InnerTextAsync()).ShouldContain("patient.enrolled");
        await WebApp.ScreenshotAsync(page, "admin-audit");

        await page.GotoAsync("/admin/holds");
        (await page.Locator("main").InnerTextAsync()).ShouldContain("Rosa Diaz");
        await WebApp.ScreenshotAsync(page, "admin-holds");
        await page.GotoAsync("/admin/certifications");
        await page.GotoAsync("/admin/cases");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Patient_SeesToday_AndTakesTheSurvey_OnAPhoneSizedScreen()
    {
        var page = await app.LoginAsync("john", "demo-john-2026", width: 390);
        page.Url.ShouldEndWith("/me");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, John" })).ToBeVisibleAsync();
        await WebApp.ScreenshotAsync(page, "companion-today");

        await page.GotoAsync("/me/survey");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send my answers" }).ClickAsync();
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
}
