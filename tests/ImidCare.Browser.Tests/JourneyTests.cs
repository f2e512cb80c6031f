using System.Text.RegularExpressions;
using ImidCare.Browser.Tests.Support;
using ImidCare.Store.Audit;
using Microsoft.Playwright;
using Shouldly;

namespace ImidCare.Browser.Tests;

/// <summary>The whole REMS journey through the pages: enroll → test → authorize → confirm → dispense.</summary>
[Collection(WebCollection.Name)]
public sealed class JourneyTests(WebApp app)
{
    [Fact]
    public async Task Prescriber_EnrollsTestsAuthorizes_Pharmacist_ConfirmsAndDispenses()
    {
        var office = await app.LoginAsync("dr.park", "demo-park-2026");
        office.Url.ShouldEndWith("/office");
        await WebApp.ScreenshotAsync(office, "office-patients");

        // Enrollment wizard, step 1: a validation error keeps what was typed.
        await office.OpenAsync("/office/enroll");
        await office.GetByLabel("Full name").FillAsync("Jane Web");
        await office.GetByRole(AriaRole.Button, new() { Name = "Next: category and agreement" }).ClickToNextPageAsync();
        (await office.Locator(".field-validation-error").AllInnerTextsAsync()).ShouldContain("The date of birth is required.");
        (await office.GetByLabel("Full name").InputValueAsync()).ShouldBe("Jane Web");

        await office.GetByLabel("Date of birth").FillAsync("1988-02-03");
        await office.GetByLabel("Has had a menstrual period in the last 24 months").CheckAsync();
        await office.GetByRole(AriaRole.Button, new() { Name = "Next: category and agreement" }).ClickAsync();

        // Step 2: the category comes from the answers; the agreement is signed on screen.
        (await office.Locator("#derived-category").InnerTextAsync()).ShouldBe("Adult female who can get pregnant");
        (await office.GetByLabel("Signed by (type the full name)").InputValueAsync()).ShouldBe("Jane Web");
        await office.GetByRole(AriaRole.Button, new() { Name = "Sign and enroll" }).ClickToNextPageAsync();
        (await office.Locator(".field-validation-error").AllInnerTextsAsync()).ShouldContain("The agreement must be accepted to enroll.");
        await WebApp.ScreenshotAsync(office, "office-enroll-agreement");
        await office.GetByLabel("The signer has read and accepts the agreement").CheckAsync();
        await office.GetByRole(AriaRole.Button, new() { Name = "Sign and enroll" }).ClickAsync();
        await office.WaitForPageAsync(new Regex("/office/patient/pat_"));
        await Assertions.Expect(office.GetByRole(AriaRole.Heading, new() { Name = "Jane Web" })).ToBeVisibleAsync();

        // Without tests: the survey is refused and every missing condition is named.
        await office.GetByLabel("I counseled the patient on the risks and the REMS requirements").CheckAsync();
        await office.GetByRole(AriaRole.Button, new() { Name = "Submit survey and get authorization number" }).ClickAsync();
        var refusal = await office.Locator(".decision.no").InnerTextAsync();
        refusal.ShouldContain("REMS.FIRST_PRESTART_TEST_MISSING");
        refusal.ShouldContain("REMS.SECOND_PRESTART_TEST_MISSING");
        var nextTest = office.Locator("dt:text-is('Next pregnancy test') + dd");
        (await nextTest.InnerTextAsync()).ShouldStartWith("pre-start tests: Missing: A negative test 10 to 14 days before the first prescription.");
        (await office.Locator("dt:text-is('Patient survey') + dd").InnerTextAsync()).ShouldBe("not needed before the first prescription");

        // The two pre-start tests (11 days before, and this morning; the clock reads 10:00 in New York).
        await RecordTestAsync(office, "2026-11-06", "09:00");
        await RecordTestAsync(office, "2026-11-17", "08:00");
        // The second test supports the first prescription for 24 hours, and the page says until when.
        (await nextTest.InnerTextAsync()).ShouldBe("pre-start tests on file: authorize the first prescription by Wed 18 Nov 2026 08:00 (America/New_York)");

        await office.GetByLabel("I counseled the patient on the risks and the REMS requirements").CheckAsync();
        await office.GetByRole(AriaRole.Button, new() { Name = "Submit survey and get authorization number" }).ClickAsync();
        var number = (await office.Locator("#authorization-number").InnerTextAsync()).Trim();
        number.ShouldMatch("^A[0-9]{10}$");
        // The 7-day validity rests on a third-party paraphrase (facts §7.2 [T], Q1): the page says so.
        var validity = await office.Locator("#authorization-validity").InnerTextAsync();
        validity.ShouldContain("Valid 7 days from the last negative test");
        validity.ShouldContain("[T]");
        validity.ShouldContain("(rule not verified)");
        await WebApp.ScreenshotAsync(office, "office-patient-authorized");

        // The pharmacy: one field, Enter, answer.
        var counter = await app.LoginAsync("pharmacist", "demo-pharm-2026");
        counter.Url.ShouldEndWith("/pharmacy");
        await counter.GetByLabel("Authorization number (type or scan, then Enter)").FillAsync(number);
        await counter.GetByLabel("Authorization number (type or scan, then Enter)").PressAsync("Enter");
        await Assertions.Expect(counter.Locator("#confirmation-number")).ToHaveTextAsync(new Regex("^C[0-9]{10}$"));
        (await counter.Locator(".decision.ok").InnerTextAsync()).ShouldContain("Jane Web");
        // The 24-hour confirmation is as unverified (facts §7.2 [T]).
        var confirmationValidity = await counter.Locator("#confirmation-validity").InnerTextAsync();
        confirmationValidity.ShouldContain("confirmation number valid 24 hours");
        confirmationValidity.ShouldContain("[T] (rule not verified)");

        // An incomplete checklist is refused with the missing items; nothing typed is lost.
        await counter.GetByLabel("Counselor").FillAsync("Pat Quinn");
        await counter.GetByLabel("Work phone").FillAsync("555-0100");
        await counter.GetByLabel("NDC").FillAsync("59572-0504-21");
        await counter.GetByLabel("Quantity (capsules)").FillAsync("21");
        await counter.GetByRole(AriaRole.Button, new() { Name = "Record dispense" }).ClickAsync();
        (await counter.Locator(".decision.no").InnerTextAsync()).ShouldContain("counseling checklist is incomplete");
        (await counter.GetByLabel("Counselor").InputValueAsync()).ShouldBe("Pat Quinn");
        await WebApp.ScreenshotAsync(counter, "pharmacy-counter");

        foreach (var item in new[] { "Medication Guide given", "Side effects, including blood clots and low blood counts", "Never share capsules",
                     "No blood donation during treatment and 4 weeks after", "Do not break, chew or open capsules", "How to take the dose",
                     "Two reliable methods of contraception at the same time" })
        {
            await counter.GetByLabel(item).CheckAsync();
        }

        await counter.GetByRole(AriaRole.Button, new() { Name = "Record dispense" }).ClickAsync();
        await Assertions.Expect(counter.GetByRole(AriaRole.Heading, new() { Name = "Dispense recorded" })).ToBeVisibleAsync();

        // The same number again: the answer says no, and why.
        await counter.GetByLabel("Authorization number (type or scan, then Enter)").FillAsync(number);
        await counter.GetByLabel("Authorization number (type or scan, then Enter)").PressAsync("Enter");
        (await counter.Locator(".decision.no").InnerTextAsync()).ShouldContain("DO NOT DISPENSE");

        await using var db = await app.DbAsync();
        (await AuditChain.VerifyAsync(db)).Intact.ShouldBeTrue();
        await office.Context.CloseAsync();
        await counter.Context.CloseAsync();
    }

    [Fact]
    public async Task Pharmacist_ReversesAConfirmation_AndAMistypedNumberIsExplainedNextToTheField()
    {
        var counter = await app.LoginAsync("pharmacist", "demo-pharm-2026");
        await counter.GetByLabel("Authorization number (type or scan, then Enter)").FillAsync("A12");
        await counter.GetByLabel("Authorization number (type or scan, then Enter)").PressAsync("Enter");
        (await counter.Locator(".field-validation-error").InnerTextAsync()).ShouldNotBeNullOrWhiteSpace();
        (await counter.GetByLabel("Authorization number (type or scan, then Enter)").InputValueAsync()).ShouldBe("A12");
        await counter.Context.CloseAsync();
    }

    private static async Task RecordTestAsync(IPage page, string date, string time)
    {
        await page.GetByLabel("Specimen date").FillAsync(date);
        await page.GetByLabel("Specimen time").FillAsync(time);
        await page.GetByRole(AriaRole.Button, new() { Name = "Record test" }).ClickAsync();
        (await page.Locator(".decision.ok").First.InnerTextAsync()).ShouldContain("recorded");
    }
}
