using ImidCare.Browser.Tests.Support;
using ImidCare.Server.Rems;
using ImidCare.Store.Entities;
using Microsoft.Playwright;
using Shouldly;

namespace ImidCare.Browser.Tests;

/// <summary>The patient grants a caregiver access and revokes it; the caregiver's view follows at once.</summary>
[Collection(WebCollection.Name)]
public sealed class CaregiverTests(WebApp app)
{
    [Fact]
    public async Task Patient_GrantsAndRevokes_CaregiverAccess()
    {
        await using (var db = await app.DbAsync())
        {
            db.Users.Add(new UserAccount
            {
                Id = "usr_test_temp_carer", Username = "carer.temp", PasswordHash = SessionEndpoints.HashPassword("carer-password-2"), Role = Roles.Caregiver,
                DisplayName = "Tess Temp", CreatedAt = WebApp.Start,
            });
            await db.SaveChangesAsync();
        }

        var carer = await app.LoginAsync("carer.temp", "carer-password-2");
        (await carer.OpenAsync("/me?patient=pat_demo_maria"))!.Status.ShouldBe(403);

        var maria = await app.LoginAsync("maria", "demo-maria-2026");
        await maria.OpenAsync("/me/caregivers");
        await maria.GetByLabel("Caregiver's username").FillAsync("nobody.here");
        await maria.GetByRole(AriaRole.Button, new() { Name = "Give access" }).ClickAsync();
        (await maria.Locator(".field-validation-error").InnerTextAsync()).ShouldContain("No caregiver account");
        (await maria.GetByLabel("Caregiver's username").InputValueAsync()).ShouldBe("nobody.here");
        await maria.GetByLabel("Caregiver's username").FillAsync("carer.temp");
        await maria.GetByRole(AriaRole.Button, new() { Name = "Give access" }).ClickAsync();
        (await maria.Locator("main").InnerTextAsync()).ShouldContain("Tess Temp");
        await WebApp.ScreenshotAsync(maria, "companion-caregivers");

        // Granted: the caregiver's start page is Maria's.
        (await carer.OpenAsync("/me"))!.Status.ShouldBe(200);
        await Assertions.Expect(carer.GetByRole(AriaRole.Heading, new() { Name = "Maria's day" })).ToBeVisibleAsync();
        (await carer.OpenAsync("/me/caregivers"))!.Status.ShouldBe(403); // only the patient manages access

        await maria.GetByRole(AriaRole.Button, new() { Name = "Revoke access for Tess Temp" }).ClickAsync();
        (await maria.Locator(".decision.ok").InnerTextAsync()).ShouldContain("revoked");
        (await carer.OpenAsync("/me?patient=pat_demo_maria"))!.Status.ShouldBe(403);

        await carer.Context.CloseAsync();
        await maria.Context.CloseAsync();
    }

    [Fact]
    public async Task GrantedCaregiver_IsToldAboutThePatient_NotAddressedAsThePatient()
    {
        var carla = await app.LoginAsync("carla", "demo-carla-2026");
        (await carla.OpenAsync("/me"))!.Status.ShouldBe(200);
        await Assertions.Expect(carla.GetByRole(AriaRole.Heading, new() { Name = "John's day", Level = 1 })).ToBeVisibleAsync();
        (await carla.Locator("#caregiver-note").InnerTextAsync()).ShouldContain("John Carter's companion as their caregiver");
        (await carla.Locator("#rx-h").InnerTextAsync()).ShouldBe("John's prescription");
        var main = await carla.Locator("main").InnerTextAsync();
        main.ShouldNotContain("Hello");
        main.ShouldNotContain("Your prescription");
        main.ShouldContain("Add John's cycle calendar to my phone");
        (await WebApp.AxeViolationsAsync(carla)).ShouldBeEmpty();
        await carla.Context.CloseAsync();

        // Five weeks on, John's monthly survey is due (whether his last was the demo's or one another test took). It is John's own answer: Carla is told, not linked
        // to a form the program refuses her; John gets the link.
        app.Clock.Now = WebApp.Start + NodaTime.Duration.FromDays(35);
        try
        {
            carla = await app.LoginAsync("carla", "demo-carla-2026");
            await carla.OpenAsync("/me");
            (await carla.Locator("section[aria-labelledby=todo-h]").InnerTextAsync()).ShouldContain("Survey: due. John answers it when signed in, before the next prescription.");
            (await carla.Locator("a[href='/me/survey']").CountAsync()).ShouldBe(0);
            var john = await app.LoginAsync("john", "demo-john-2026");
            await john.OpenAsync("/me");
            (await john.Locator("section[aria-labelledby=todo-h] a[href='/me/survey']").InnerTextAsync()).ShouldBe("Take your survey");
            await carla.Context.CloseAsync();
            await john.Context.CloseAsync();
        }
        finally
        {
            app.Clock.Now = WebApp.Start;
        }
    }

    [Fact]
    public async Task CaregiverNobodyGranted_IsToldHowToGetAccess_NotRefusedEverywhere()
    {
        var casey = await app.LoginAsync("casey", "demo-casey-2026");
        (await casey.OpenAsync("/me"))!.Status.ShouldBe(200);
        await Assertions.Expect(casey.GetByRole(AriaRole.Heading, new() { Name = "Nobody has shared their companion with you yet" })).ToBeVisibleAsync();
        (await casey.Locator("#not-shared").InnerTextAsync()).ShouldContain("(casey)");

        // The menu's pages lead back to that explanation, not to a refusal.
        foreach (var page in new[] { "/me/calendar", "/me/charts", "/me/visitsummary" })
        {
            (await casey.OpenAsync(page))!.Status.ShouldBe(200, page);
            new Uri(casey.Url).AbsolutePath.ShouldBe("/me", page);
        }

        // Naming a patient who did not grant access is still refused.
        (await casey.OpenAsync("/me?patient=pat_demo_john"))!.Status.ShouldBe(403);
        (await WebApp.AxeViolationsAsync(casey)).ShouldBeEmpty();
        await casey.Context.CloseAsync();
    }

    [Fact]
    public async Task Calendar_OnAPhone_IsAListOfDays_EachNamingItsWeekday()
    {
        var carla = await app.LoginAsync("carla", "demo-carla-2026", width: 375);
        await carla.OpenAsync("/me/calendar");
        var day = carla.Locator("#month td[data-date='2026-11-07']");
        (await day.InnerTextAsync()).ShouldStartWith("Sat 7");
        (await day.BoundingBoxAsync())!.Width.ShouldBeGreaterThan(300); // the whole width, not a seventh of it
        await Assertions.Expect(carla.Locator("#month thead")).ToBeHiddenAsync();
        (await WebApp.AxeViolationsAsync(carla)).ShouldBeEmpty();

        // A wide screen keeps the grid, with the weekday in its header only.
        var wide = await app.LoginAsync("carla", "demo-carla-2026");
        await wide.OpenAsync("/me/calendar");
        (await wide.Locator("#month td[data-date='2026-11-07']").InnerTextAsync()).ShouldStartWith("7");
        await Assertions.Expect(wide.Locator("#month thead")).ToBeVisibleAsync();
        await carla.Context.CloseAsync();
        await wide.Context.CloseAsync();
    }

    /// <summary>
    /// The calendar page lists the subscriptions to the patient's calendar: the patient sees every
    /// one, with who made it, and stops the caregiver's; the caregiver sees only hers. The stopped
    /// address answers 404 at once; the patient's own keeps serving.
    /// </summary>
    [Fact]
    public async Task Patient_StopsTheCaregiversCalendarSubscription_OnTheCalendarPage()
    {
        var carla = await app.LoginAsync("carla", "demo-carla-2026");
        var (carlas, carlasUrl) = await MakeFeedAsync(carla, "Add John's cycle calendar to my phone");
        var john = await app.LoginAsync("john", "demo-john-2026");
        var (johns, johnsUrl) = await MakeFeedAsync(john, "Add my cycle calendar to my phone");

        await carla.OpenAsync("/me/calendar");
        await Assertions.Expect(carla.GetByRole(AriaRole.Heading, new() { Name = "Subscriptions you made to John's calendar" })).ToBeVisibleAsync();
        (await carla.Locator($"#feed-{carlas}").InnerTextAsync()).ShouldContain("Made by you");
        (await carla.Locator($"#feed-{johns}").CountAsync()).ShouldBe(0);
        (await WebApp.AxeViolationsAsync(carla)).ShouldBeEmpty();

        await john.OpenAsync("/me/calendar");
        (await john.Locator($"#feed-{carlas}").InnerTextAsync()).ShouldContain("Made by Carla Carter (caregiver)");
        (await john.Locator($"#feed-{johns}").InnerTextAsync()).ShouldContain("Made by you");
        (await WebApp.AxeViolationsAsync(john)).ShouldBeEmpty();
        await john.Locator($"#feed-{carlas}").GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Stop the subscription made by Carla Carter") }).ClickToNextPageAsync();
        (await john.Locator("#feed-stopped").InnerTextAsync()).ShouldStartWith("Stopped");
        (await john.Locator($"#feeds #feed-{carlas}").CountAsync()).ShouldBe(0);
        (await john.Locator($"#feeds #feed-{johns}").CountAsync()).ShouldBe(1);
        (await john.Locator($"#feeds-stopped #feed-{carlas}").TextContentAsync())!.ShouldContain("stopped");
        (await WebApp.AxeViolationsAsync(john)).ShouldBeEmpty();

        (await john.Context.APIRequest.GetAsync(carlasUrl)).Status.ShouldBe(404);
        (await john.Context.APIRequest.GetAsync(johnsUrl)).Status.ShouldBe(200);
        await carla.OpenAsync("/me/calendar");
        (await carla.Locator($"#feeds #feed-{carlas}").CountAsync()).ShouldBe(0);
        await carla.Context.CloseAsync();
        await john.Context.CloseAsync();
    }

    /// <summary>A subscription made on the start page: its public id (found by the address's hash, as the server finds it) and its address.</summary>
    private async Task<(string Id, string Url)> MakeFeedAsync(IPage page, string button)
    {
        await page.OpenAsync("/me");
        await page.GetByRole(AriaRole.Button, new() { Name = button }).ClickAsync();
        var url = (await page.Locator("#feed-url").GetAttributeAsync("href"))!;
        var token = url[(url.LastIndexOf('/') + 1)..^".ics".Length];
        await using var db = await app.DbAsync();
        var hash = ImidCare.Server.Security.Secrets.Hash(token);
        return ((await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(db.CalendarFeeds, f => f.TokenHash == hash)).Id, url);
    }

    [Fact]
    public async Task GrantedCaregiver_SeesTheCharts_AsLabelledSvg()
    {
        var carla = await app.LoginAsync("carla", "demo-carla-2026");
        await carla.OpenAsync("/me/charts");
        await Assertions.Expect(carla.GetByRole(AriaRole.Heading, new() { Name = "John's blood counts and M-protein" })).ToBeVisibleAsync();
        var anc = carla.GetByRole(AriaRole.Img, new() { Name = "Neutrophils (ANC)" });
        await Assertions.Expect(anc).ToBeVisibleAsync();
        (await carla.Locator("#anc-d").TextContentAsync())!.ShouldContain("latest");
        await Assertions.Expect(carla.GetByRole(AriaRole.Img, new() { Name = "M-protein (serum)" })).ToBeVisibleAsync();
        await WebApp.ScreenshotAsync(carla, "companion-charts");
        await carla.Context.CloseAsync();
    }
}

/// <summary>The printable documents, as PDF from the server (Chromium print-to-PDF).</summary>
[Collection(WebCollection.Name)]
public sealed class PrintTests(WebApp app)
{
    [Fact]
    public async Task SignedAgreement_AndVisitSummary_ArePdfs()
    {
        var office = await app.LoginAsync("dr.park", "demo-park-2026");
        await office.OpenAsync("/office/agreement/pat_demo_maria");
        await WebApp.ScreenshotAsync(office, "office-agreement");
        var agreement = await office.Context.APIRequest.GetAsync("/office/agreement/pat_demo_maria?handler=Pdf");
        agreement.Status.ShouldBe(200);
        agreement.Headers["content-type"].ShouldBe("application/pdf");
        System.Text.Encoding.ASCII.GetString((await agreement.BodyAsync())[..5]).ShouldBe("%PDF-");
        (await office.Context.APIRequest.GetAsync("/office/agreement/pat_demo_omar?handler=Pdf")).Status.ShouldBe(403);

        var john = await app.LoginAsync("john", "demo-john-2026");
        await john.OpenAsync("/me/visitsummary");
        await john.GetByLabel("My own questions (one per line)").FillAsync("Can I travel next month?");
        await john.GetByRole(AriaRole.Button, new() { Name = "Add to the summary" }).ClickAsync();
        (await john.Locator("article").InnerTextAsync()).ShouldContain("Can I travel next month?");
        await WebApp.ScreenshotAsync(john, "companion-visit-summary");
        var href = await john.Locator("#pdf-link").GetAttributeAsync("href");
        var pdf = await john.Context.APIRequest.GetAsync(href!);
        pdf.Status.ShouldBe(200);
        System.Text.Encoding.ASCII.GetString((await pdf.BodyAsync())[..5]).ShouldBe("%PDF-");
        await office.Context.CloseAsync();
        await john.Context.CloseAsync();
    }
}
