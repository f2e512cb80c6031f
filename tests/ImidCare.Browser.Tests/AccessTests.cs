using ImidCare.Browser.Tests.Support;
using ImidCare.Server.Rems;
using ImidCare.Store.Entities;
using Microsoft.Playwright;
using Shouldly;

namespace ImidCare.Browser.Tests;

/// <summary>Every page checks the role and the patient: one refused case per role.</summary>
[Collection(WebCollection.Name)]
public sealed class AccessTests(WebApp app)
{
    [Fact]
    public async Task Anonymous_IsSentToLogin()
    {
        var context = await app.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.OpenAsync("/office/patient/pat_demo_maria");
        page.Url.ShouldContain("/login?ReturnUrl=");
        await WebApp.ScreenshotAsync(page, "login");
        await context.CloseAsync();
    }

    [Fact]
    public async Task PrescriberOfAnotherPractice_CannotSeeThePatient()
    {
        var page = await app.LoginAsync("dr.ode", "demo-ode-2026");
        await ExpectDeniedAsync(page, "/office/patient/pat_demo_maria");
        await ExpectDeniedAsync(page, "/office/agreement/pat_demo_maria");
        (await page.OpenAsync("/office"))!.Status.ShouldBe(200);
        (await page.ContentAsync()).ShouldNotContain("Maria Lopez");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Pharmacy_CannotSeePatientPagesOrAdministration()
    {
        var page = await app.LoginAsync("pharmacist", "demo-pharm-2026");
        await ExpectDeniedAsync(page, "/office/patient/pat_demo_maria");
        await ExpectDeniedAsync(page, "/admin");
        await ExpectDeniedAsync(page, "/me");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Patient_CannotOpenTheOfficeOrTheCounter()
    {
        var page = await app.LoginAsync("maria", "demo-maria-2026");
        await ExpectDeniedAsync(page, "/office");
        await ExpectDeniedAsync(page, "/pharmacy");
        await ExpectDeniedAsync(page, "/office/patient/pat_demo_maria");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task CaregiverWithoutAGrant_CannotSeeThePatient()
    {
        var page = await app.LoginAsync("casey", "demo-casey-2026");
        await ExpectDeniedAsync(page, "/me?patient=pat_demo_john");
        await ExpectDeniedAsync(page, "/me/charts?patient=pat_demo_john");
        await ExpectDeniedAsync(page, "/office/patient/pat_demo_john");

        var carla = await app.LoginAsync("carla", "demo-carla-2026");
        (await carla.OpenAsync("/me?patient=pat_demo_john"))!.Status.ShouldBe(200);
        await ExpectDeniedAsync(carla, "/me?patient=pat_demo_maria");
        await page.Context.CloseAsync();
        await carla.Context.CloseAsync();
    }

    [Fact]
    public async Task Login_LocksAfterFiveFailures_LikeTheApi()
    {
        await using (var db = await app.DbAsync())
        {
            db.Users.Add(new UserAccount
            {
                Id = "usr_test_lock", Username = "lock.me", PasswordHash = SessionEndpoints.HashPassword("lock-password-1"), Role = Roles.Admin,
                DisplayName = "Lock Me", CreatedAt = WebApp.Start,
            });
            await db.SaveChangesAsync();
        }

        var context = await app.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.OpenAsync("/login");
        for (var i = 0; i < 5; i++)
        {
            await page.GetByLabel("Username").FillAsync("lock.me");
            await page.GetByLabel("Password").FillAsync("wrong-password");
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            (await page.Locator(".field-validation-error").InnerTextAsync()).ShouldContain("wrong");
            (await page.GetByLabel("Username").InputValueAsync()).ShouldBe("lock.me");
        }

        await page.GetByLabel("Password").FillAsync("lock-password-1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        (await page.Locator(".field-validation-error").InnerTextAsync()).ShouldContain("locked");
        await context.CloseAsync();
    }

    private static async Task ExpectDeniedAsync(IPage page, string url)
    {
        var response = await page.OpenAsync(url);
        response!.Status.ShouldBe(403, url);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Access denied" })).ToBeVisibleAsync();
    }
}
