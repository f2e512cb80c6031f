using ImidCare.Browser.Tests.Support;
using Microsoft.Playwright;
using Shouldly;

namespace ImidCare.Browser.Tests;

/// <summary>The reminders inbox: what is due with the rule behind it, mark read, the email choice; for the patient's side, the office and the pharmacy.</summary>
[Collection(WebCollection.Name)]
public sealed class InboxTests(WebApp app)
{
    [Fact]
    public async Task Patient_ReadsAReminder_WithItsRule_AndChoosesEmail()
    {
        var john = await app.LoginAsync("john", "demo-john-2026");
        await john.GetByRole(AriaRole.Link, new() { Name = "Reminders" }).ClickToNextPageAsync();
        await Assertions.Expect(john.GetByRole(AriaRole.Heading, new() { Name = "New", Exact = true })).ToBeVisibleAsync();
        var dose = john.Locator("li.reminder", new() { HasText = "Dose today" });
        await Assertions.Expect(dose).ToBeVisibleAsync();
        (await dose.InnerTextAsync()).ShouldContain("THERAPY.DOSE_DAY");
        await WebApp.ScreenshotAsync(john, "companion-inbox");

        var before = await john.Locator("li.reminder:not(.read)").CountAsync();
        await dose.GetByRole(AriaRole.Button).ClickToNextPageAsync();
        (await john.Locator(".decision.ok").InnerTextAsync()).ShouldContain("Marked as read");
        (await john.Locator("li.reminder:not(.read)").CountAsync()).ShouldBe(before - 1);
        await Assertions.Expect(john.GetByRole(AriaRole.Heading, new() { Name = "Read", Exact = true })).ToBeVisibleAsync();

        // An address the browser lets through but the server refuses (no domain): the reason next to the field, and what was typed stays.
        await john.GetByLabel("Email address").FillAsync("john@home");
        await john.GetByLabel("Send me reminder emails").CheckAsync();
        await john.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        (await john.Locator(".field-validation-error").InnerTextAsync()).ShouldContain("email address");
        (await john.GetByLabel("Email address").InputValueAsync()).ShouldBe("john@home");
        await john.GetByLabel("Email address").FillAsync("john@example.org");
        await john.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        (await john.Locator(".decision.ok").InnerTextAsync()).ShouldContain("we will email you");
        await john.Context.CloseAsync();
    }

    [Fact]
    public async Task Office_And_Pharmacy_HaveTheirInboxes()
    {
        var park = await app.LoginAsync("dr.park", "demo-park-2026");
        await park.OpenAsync("/inbox");
        var maria = park.Locator("li.reminder", new() { HasText = "Maria Lopez" });
        await Assertions.Expect(maria.First).ToBeVisibleAsync();
        (await maria.First.GetByRole(AriaRole.Link).GetAttributeAsync("href")).ShouldBe("/office/patient/pat_demo_maria");
        await WebApp.ScreenshotAsync(park, "office-inbox");
        await park.Context.CloseAsync();

        var pharmacist = await app.LoginAsync("pharmacist", "demo-pharm-2026");
        (await pharmacist.OpenAsync("/inbox"))!.Status.ShouldBe(200);
        await Assertions.Expect(pharmacist.GetByRole(AriaRole.Heading, new() { Name = "Reminders" })).ToBeVisibleAsync();
        await pharmacist.Context.CloseAsync();
    }
}
