using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ImidCare.Browser.Tests.Support;
using Microsoft.Playwright;
using NodaTime;
using Shouldly;

namespace ImidCare.Browser.Tests;

/// <summary>
/// The pages added for the program's actions: certification status and case status (admin),
/// the report forms, prescriber self-certification, category review, the month calendar with
/// back-dated diary entries, and the outage banner at the counter. Each changes only data it
/// makes itself or demo data no other test reads.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class NewPagesTests(WebApp app)
{
    [Fact]
    public async Task Admin_ReinstatesASuspendedPharmacy_AndAReasonIsRequired()
    {
        var page = await app.LoginAsync("admin", "demo-admin-2026");
        await page.OpenAsync("/admin/certifications");
        var row = page.Locator("tr", new() { HasText = "CareChain #1" }).Filter(new() { HasText = "Suspended" });
        (await row.InnerTextAsync()).ShouldContain("Staff training lapsed");

        // No reason: refused next to the field, nothing changed.
        await row.GetByRole(AriaRole.Button, new() { Name = "Reinstate" }).ClickToNextPageAsync();
        (await page.Locator("main").InnerTextAsync()).ShouldContain("A reason is required.");
        (await page.Locator("tr", new() { HasText = "CareChain #1" }).Filter(new() { HasText = "Suspended" }).CountAsync()).ShouldBe(1);

        row = page.Locator("tr", new() { HasText = "CareChain #1" }).Filter(new() { HasText = "Suspended" });
        await row.GetByLabel("Reason (CareChain #1, THAL)").FillAsync("Training records received 2026-11-16.");
        await WebApp.ScreenshotAsync(page, "admin-certifications");
        await row.GetByRole(AriaRole.Button, new() { Name = "Reinstate" }).ClickAsync();
        (await page.Locator("#done").InnerTextAsync()).ShouldContain("now certified");

        // The same transition core as the API: audited with the reason.
        await page.OpenAsync("/admin/audit?Action=pharmacy.certification.reinstate");
        (await page.Locator("tbody").InnerTextAsync()).ShouldContain("phy_demo_chain1");
        (await WebApp.AxeViolationsAsync(page)).ShouldBeEmpty();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Safety_MovesACaseToReview_ThenClosesIt()
    {
        var page = await app.LoginAsync("safety", "demo-safety-2026");
        await page.OpenAsync("/admin/cases");
        var card = page.Locator("section.card", new() { HasText = "case_demo_john_rash" });
        (await card.InnerTextAsync()).ShouldContain("open");
        // People and times in words: who reported it by name and role, when in a named zone, the form's fields by their labels.
        var text = await card.InnerTextAsync();
        text.ShouldContain("reported by Carla Carter (caregiver)");
        text.ShouldContain("(America/New_York)");
        text.ShouldNotContain("usr_demo_carla");
        await card.Locator("summary").ClickAsync();
        var fields = await card.Locator("dt").AllInnerTextsAsync();
        fields.ShouldNotContain(f => f.Contains('.', StringComparison.Ordinal));
        (await card.Locator("dd").AllInnerTextsAsync()).ShouldNotContain(v => v == "False" || v == "True" || v == "[]");
        (await WebApp.AxeViolationsAsync(page)).ShouldBeEmpty();
        await card.GetByLabel("Reason for the status change").FillAsync("Dermatology photos requested.");
        await card.GetByRole(AriaRole.Button, new() { Name = "Start review" }).ClickAsync();
        (await page.Locator("#done").InnerTextAsync()).ShouldContain("under-review");
        await WebApp.ScreenshotAsync(page, "admin-cases");

        card = page.Locator("section.card", new() { HasText = "case_demo_john_rash" });
        await card.GetByLabel("Reason for the status change").FillAsync("Grade 1 rash, resolved with antihistamine.");
        await card.GetByRole(AriaRole.Button, new() { Name = "Close case" }).ClickAsync();
        (await page.Locator("#done").InnerTextAsync()).ShouldContain("closed");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Prescriber_CertifiesInAProgram_AfterARefusalThatSaysWhy()
    {
        var page = await app.LoginAsync("dr.ode", "demo-ode-2026");
        await page.OpenAsync("/office/certification");
        (await page.Locator("main").InnerTextAsync()).ShouldContain("check digit valid");
        (await WebApp.AxeViolationsAsync(page)).ShouldBeEmpty();
        await page.GetByRole(AriaRole.Button, new() { Name = "Certify" }).ClickAsync();
        var refusal = await page.Locator(".decision.no").InnerTextAsync();
        refusal.ShouldContain("education");
        refusal.ShouldContain("requirements");

        await page.GetByLabel("I completed the program's prescriber education and knowledge assessment").CheckAsync();
        await page.GetByLabel("I agree to the program's requirements", new() { Exact = false }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Certify" }).ClickAsync();
        var ok = await page.Locator(".decision.ok").InnerTextAsync();
        ok.ShouldContain("Certified");
        ok.ShouldContain("The NPI is valid.");
        await WebApp.ScreenshotAsync(page, "office-certification");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Prescriber_ReviewsTheCategoryFacts_TheCategoryFollowsAndTheHistoryKeepsTheReason()
    {
        var page = await app.LoginAsync("dr.park", "demo-park-2026");
        await page.OpenAsync("/office/patient/pat_demo_grace");
        await page.GetByRole(AriaRole.Link, new() { Name = "Review the risk category" }).ClickToNextPageAsync();
        var before = await page.Locator("#category").InnerTextAsync();
        (await WebApp.AxeViolationsAsync(page)).ShouldBeEmpty();

        // A reason is required; the ticked facts survive the refusal.
        await page.GetByLabel("Natural menopause for at least 24 months in a row").UncheckAsync();
        await page.GetByLabel("Has had a menstrual period in the last 24 months").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Derive and record" }).ClickAsync();
        (await page.Locator(".field-validation-error").InnerTextAsync()).ShouldContain("reason");
        (await page.GetByLabel("Has had a menstrual period in the last 24 months").IsCheckedAsync()).ShouldBeTrue();

        await page.GetByLabel("Reason for the review").FillAsync("Periods resumed (reported at the visit).");
        await page.GetByRole(AriaRole.Button, new() { Name = "Derive and record" }).ClickAsync();
        (await page.Locator(".decision.ok h2").InnerTextAsync()).ShouldStartWith("Category changed");
        var after = await page.Locator("#category").InnerTextAsync();
        after.ShouldNotBe(before);
        (await page.Locator("table").InnerTextAsync()).ShouldContain("Periods resumed (reported at the visit).");
        await WebApp.ScreenshotAsync(page, "office-category");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task PregnancyReport_StopsThePatientsAuthorization_OnTheSpot()
    {
        var (patient, number) = await EnrolAndAuthorizeAsync("Paul Report");
        var page = await app.LoginAsync("dr.park", "demo-park-2026");
        await page.OpenAsync($"/office/patient/{patient}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Report a pregnancy" }).ClickToNextPageAsync();
        (await WebApp.AxeViolationsAsync(page)).ShouldBeEmpty();

        // The MedWatch fields are checked by the API's rules: the description is required.
        (await page.Locator("#whose").InnerTextAsync()).ShouldBe("his partner's pregnancy"); // Paul is a man: it can only be a partner's
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the pregnancy report" }).ClickAsync();
        (await page.Locator("main").InnerTextAsync()).ShouldContain("Describe the event.");

        await page.GetByLabel("Describe the event").FillAsync("Partner reports a positive home pregnancy test on 2026-11-16.");
        await page.GetByLabel("Date of the event").FillAsync("2026-11-16");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the pregnancy report" }).ClickAsync();
        var stopped = await page.Locator("#stopped").InnerTextAsync();
        stopped.ShouldContain("1 authorization was stopped");
        // A partner's pregnancy: the patient is not told to stop his medicine; the partner needs her doctor.
        (await page.Locator("#what-now").InnerTextAsync()).ShouldContain("the partner should see her own doctor");
        stopped.ShouldNotContain("Stop taking");
        (await page.Locator("tr", new() { HasText = number }).InnerTextAsync()).ShouldContain("Revoked");
        await WebApp.ScreenshotAsync(page, "report-pregnancy");
        await page.Context.CloseAsync();

        // The counter refuses the number now.
        var counter = await app.LoginAsync("pharmacist", "demo-pharm-2026");
        await counter.GetByLabel("Authorization number (type or scan, then Enter)").FillAsync(number);
        await counter.GetByLabel("Authorization number (type or scan, then Enter)").PressAsync("Enter");
        (await counter.Locator(".decision.no").InnerTextAsync()).ShouldContain("DO NOT DISPENSE");
        await counter.Context.CloseAsync();
    }

    [Fact]
    public async Task Reports_RefuseAnUnreadableWeightAndADateAfterToday_NextToTheField_AndStoreNothing()
    {
        var (patient, number) = await EnrolAndAuthorizeAsync("Fay Future");
        var tomorrow = app.Clock.Now.InZone(DateTimeZoneProviders.Tzdb["America/New_York"]).Date.PlusDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var page = await app.LoginAsync("dr.park", "demo-park-2026");
        await page.OpenAsync($"/report/adverse-event?patient={patient}");
        await page.GetByLabel("Describe the event").FillAsync("Headache for two days.");
        await page.GetByLabel("Weight (kg)").FillAsync("abc");
        await page.GetByLabel("Date of the event").FillAsync(tomorrow);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the report" }).ClickToNextPageAsync();

        // The weight the form could not read is said next to it, with what was typed.
        (await page.Locator("#reported").CountAsync()).ShouldBe(0);
        (await page.Locator("[data-valmsg-for='MedWatch.WeightKg']").InnerTextAsync()).ShouldContain("is not valid for Weight (kg)");
        (await page.GetByLabel("Weight (kg)").InputValueAsync()).ShouldBe("abc");
        (await page.GetByLabel("Describe the event").InputValueAsync()).ShouldBe("Headache for two days.");
        (await WebApp.AxeViolationsAsync(page)).ShouldBeEmpty();

        // A readable weight: the date after today is the API's refusal, next to the date.
        await page.GetByLabel("Weight (kg)").FillAsync("72.5");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the report" }).ClickToNextPageAsync();
        (await page.Locator("#reported").CountAsync()).ShouldBe(0);
        (await page.Locator("[data-valmsg-for='MedWatch.EventDate']").InnerTextAsync()).ShouldStartWith("The date cannot be after today");
        (await page.GetByLabel("Date of the event").InputValueAsync()).ShouldBe(tomorrow);

        // The pregnancy report: the same rule for the last menstrual period, and nothing is stopped.
        await page.OpenAsync($"/report/pregnancy?patient={patient}");
        (await page.Locator("#whose").InnerTextAsync()).ShouldBe("his partner's pregnancy"); // Paul is a man: it can only be a partner's
        await page.GetByLabel("First day of the partner's last menstrual period, if known").FillAsync(tomorrow);
        await page.GetByLabel("Describe the event").FillAsync("Partner's home test is positive.");
        await page.GetByLabel("Weight (kg)").FillAsync("80 kg");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the pregnancy report" }).ClickToNextPageAsync();
        (await page.Locator("#stopped").CountAsync()).ShouldBe(0);
        (await page.Locator("[data-valmsg-for='MedWatch.WeightKg']").InnerTextAsync()).ShouldContain("is not valid");
        await page.GetByLabel("Weight (kg)").FillAsync("80");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the pregnancy report" }).ClickToNextPageAsync();
        (await page.Locator("#stopped").CountAsync()).ShouldBe(0);
        (await page.Locator("[data-valmsg-for='LastMenstrualPeriod']").InnerTextAsync()).ShouldStartWith("The date cannot be after today");
        await page.Context.CloseAsync();

        await using var db = await app.DbAsync();
        db.Cases.Count(c => c.PatientId == patient).ShouldBe(0);
        db.Authorizations.Single(a => a.Number == number).State.ShouldBe("Active");
    }

    [Fact]
    public async Task OwnPregnancyReported_ThePatientIsToldToStopTakingIt()
    {
        using var park = await BearerAsync("dr.park", "demo-park-2026");
        var program = ImidCare.Rules.Programs.ProgramCatalog.Lenalidomide;
        var enrolled = await park.PostAsJsonAsync("/api/v1/patients", new
        {
            name = "Fay Report", dateOfBirth = "1990-03-03", sex = "female", program = program.Id, prescriberId = "prs_demo_park",
            reproductive = new { mensesInLast24Months = true, naturalMenopauseAtLeast24Months = false, hysterectomy = false, bilateralOophorectomy = false },
            menstrualPattern = "regular", agreement = new { signedBy = "Fay Report", signerRole = "patient", textVersion = program.AgreementTextVersion, accepted = true },
            patientLogin = new { username = "fay.report", password = "demo-fay-report-2026" },
        });
        var body = await enrolled.Content.ReadFromJsonAsync<JsonElement>();
        enrolled.IsSuccessStatusCode.ShouldBeTrue(body.ToString());
        var id = body.GetProperty("patient").GetProperty("id").GetString()!;

        var page = await app.LoginAsync("dr.park", "demo-park-2026");
        await page.OpenAsync($"/report/pregnancy?patient={id}");
        (await page.Locator("#whose").InnerTextAsync()).ShouldBe("her own pregnancy");
        await page.GetByLabel("Describe the event").FillAsync("Positive home pregnancy test.");
        await page.GetByLabel("Date of the event").FillAsync("2026-11-16");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the pregnancy report" }).ClickAsync();
        // No authorization was live: the heading does not claim one was stopped.
        (await page.Locator("#stopped-h").InnerTextAsync()).ShouldBe("Report received: no pharmacy can fill");
        (await page.Locator("#what-now").InnerTextAsync()).ShouldStartWith("Stop taking the medicine now");
        await page.Context.CloseAsync();

        var fay = await app.LoginAsync("fay.report", "demo-fay-report-2026");
        await fay.OpenAsync("/me");
        (await fay.Locator("#stop-now").InnerTextAsync()).ShouldStartWith("Stop taking the medicine now");
        await fay.Context.CloseAsync();
    }

    [Fact]
    public async Task Enroll_ATakenUsername_IsShownOnStepOne_NextToTheUsername_WithTheAnswersKept()
    {
        var page = await app.LoginAsync("dr.park", "demo-park-2026");
        await page.OpenAsync("/office/enroll");
        await page.GetByLabel("Full name").FillAsync("Uma Username");
        await page.GetByLabel("Date of birth").FillAsync("1970-05-06");
        await page.GetByLabel("Male", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("Username", new() { Exact = true }).FillAsync("maria");
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("uma-password-1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Next: category and agreement" }).ClickToNextPageAsync();
        (await page.ContentAsync()).ShouldNotContain("uma-password-1"); // step 2 carries it sealed, not in a hidden field in clear
        await page.GetByLabel("The signer has read and accepts the agreement").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign and enroll" }).ClickToNextPageAsync();

        // Only the database knows the username is taken: the message stands next to the field that fixes it.
        (await page.Locator("main").InnerTextAsync()).ShouldContain("Step 1 of 2");
        (await page.Locator("[data-valmsg-for='Input.Username']").InnerTextAsync()).ShouldBe("This username is taken.");
        (await page.GetByLabel("Username", new() { Exact = true }).InputValueAsync()).ShouldBe("maria");
        (await page.GetByLabel("Full name").InputValueAsync()).ShouldBe("Uma Username");
        (await page.GetByLabel("Date of birth").InputValueAsync()).ShouldBe("1970-05-06");
        (await page.GetByLabel("Male", new() { Exact = true }).IsCheckedAsync()).ShouldBeTrue();
        // The password is kept sealed on the server's key, never written back into the page.
        (await page.GetByLabel("Password", new() { Exact = true }).InputValueAsync()).ShouldBeEmpty();
        (await page.Locator("#password-kept").InnerTextAsync()).ShouldContain("kept");
        (await page.ContentAsync()).ShouldNotContain("uma-password-1");
        (await page.Locator("[role=alert]").InnerTextAsync()).ShouldContain("Nothing was enrolled");
        (await WebApp.AxeViolationsAsync(page)).ShouldBeEmpty();

        await page.GetByLabel("Username", new() { Exact = true }).FillAsync("uma.username");
        await page.GetByRole(AriaRole.Button, new() { Name = "Next: category and agreement" }).ClickAsync();
        await page.GetByLabel("The signer has read and accepts the agreement").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign and enroll" }).ClickAsync();
        await page.WaitForPageAsync(new System.Text.RegularExpressions.Regex("/office/patient/pat_"));
        await page.Context.CloseAsync();

        await using var db = await app.DbAsync();
        db.Patients.Count(p => p.Name == "Uma Username").ShouldBe(1);
        db.Users.Count(u => u.Username == "uma.username").ShouldBe(1);

        // The kept password is the one typed on step 1.
        var uma = await app.LoginAsync("uma.username", "uma-password-1");
        uma.Url.ShouldContain("/me");
        await uma.Context.CloseAsync();
    }

    [Fact]
    public async Task Caregiver_ReportsASideEffect_AndAPharmacistCannot()
    {
        var page = await app.LoginAsync("carla", "demo-carla-2026");
        await page.OpenAsync("/report/adverse-event");
        (await page.Locator("main").InnerTextAsync()).ShouldContain("John Carter");
        (await page.GetByLabel("Name", new() { Exact = true }).InputValueAsync()).ShouldBe("Carla Carter");
        (await WebApp.AxeViolationsAsync(page)).ShouldBeEmpty();
        await page.GetByLabel("Describe the event").FillAsync("Constipation for four days despite fluids.");
        await page.GetByLabel("Hospitalization (initial or longer)").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the report" }).ClickAsync();
        (await page.Locator("#reported").InnerTextAsync()).ShouldContain("case_");
        await WebApp.ScreenshotAsync(page, "report-adverse-event");
        await page.Context.CloseAsync();

        var pharmacist = await app.LoginAsync("pharmacist", "demo-pharm-2026");
        var r = await pharmacist.OpenAsync("/report/adverse-event?patient=pat_demo_john");
        pharmacist.Url.ShouldContain("/denied");
        r!.Status.ShouldBe(403);
        await pharmacist.Context.CloseAsync();
    }

    [Fact]
    public async Task Calendar_ShowsTheMonthInWords_AndTakesABackDatedEntryWithItsCapsules()
    {
        var page = await app.LoginAsync("john", "demo-john-2026", width: 390);
        await page.OpenAsync("/me/calendar");
        var grid = page.Locator("#month");
        (await grid.Locator("thead th").CountAsync()).ShouldBe(7);
        (await grid.Locator("caption").InnerTextAsync()).ShouldContain("November 2026");
        var cycleStart = await grid.Locator("td[data-date='2026-11-07']").InnerTextAsync();
        cycleStart.ShouldContain("Dose");
        cycleStart.ShouldContain("Cycle 1 starts");
        (await grid.Locator("td[data-date='2026-11-29']").InnerTextAsync()).ShouldContain("Rest day");
        (await grid.InnerTextAsync()).ShouldContain("Test:");
        (await grid.Locator("td[data-date='2026-11-13']").InnerTextAsync()).ShouldContain("Diary: missed");
        (await WebApp.AxeViolationsAsync(page)).ShouldBeEmpty();

        // Older than the window: refused next to the field, what was typed stays.
        await page.GetByLabel("Day", new() { Exact = true }).FillAsync("2026-11-01");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record", Exact = true }).ClickAsync();
        (await page.Locator(".field-validation-error").InnerTextAsync()).ShouldContain("7 days back");
        (await page.GetByLabel("Day", new() { Exact = true }).InputValueAsync()).ShouldBe("2026-11-01");

        // The missed day of the seed (day 7) recorded after all as taken, two capsules: the entry is corrected, counted once, and the grid shows it.
        await page.GetByLabel("Day", new() { Exact = true }).FillAsync("2026-11-13");
        await page.GetByLabel("What happened").SelectOptionAsync("Taken");
        await page.GetByLabel("Capsules taken").FillAsync("2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record", Exact = true }).ClickAsync();
        (await page.Locator("#recorded").InnerTextAsync()).ShouldContain("Corrected");
        (await page.Locator("#recorded").InnerTextAsync()).ShouldContain("2 capsules");
        (await grid.Locator("td[data-date='2026-11-13']").InnerTextAsync()).ShouldContain("Diary: taken, 2 capsules");
        (await grid.Locator("td[data-date='2026-11-13']").InnerTextAsync()).ShouldNotContain("Diary: missed"); // corrected, not a second entry

        // A day already taken, recorded as taken again: the never-two-doses rule speaks.
        await page.GetByLabel("Day", new() { Exact = true }).FillAsync("2026-11-12");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record", Exact = true }).ClickAsync();
        (await page.Locator("main").InnerTextAsync()).ShouldContain("never take two doses in one day");
        await WebApp.ScreenshotAsync(page, "companion-calendar");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Counter_ShowsADeclaredOutage_WithTheExtendedDeadline()
    {
        var (_, number) = await EnrolAndAuthorizeAsync("Oscar Outage");
        var start = app.Clock.Now;
        string confirmation;
        try
        {
            // The confirmation was issued three hours ago; the program was down for the last two of them until an hour ago.
            app.Clock.Now = start - Duration.FromHours(3);
            using var pharmacy = Api("X-Api-Key", "demo-key-main-street-pharmacy");
            var c = await pharmacy.PostAsync($"/api/v1/authorizations/{number}/confirmations", null, TestContext.Current.CancellationToken);
            c.IsSuccessStatusCode.ShouldBeTrue(await c.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            confirmation = (await c.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("number").GetString()!;
        }
        finally
        {
            app.Clock.Now = start;
        }

        using (var admin = await BearerAsync("admin", "demo-admin-2026"))
        {
            var o = await admin.PostAsJsonAsync("/api/v1/outages", new { from = (start - Duration.FromHours(2)).ToString(), to = (start - Duration.FromHours(1)).ToString(), reason = "Program switch unreachable (test)" }, TestContext.Current.CancellationToken);
            o.IsSuccessStatusCode.ShouldBeTrue(await o.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        var page = await app.LoginAsync("pharmacist", "demo-pharm-2026");
        var banner = await page.Locator("#outage").InnerTextAsync();
        banner.ShouldContain("Program outage declared");
        banner.ShouldContain("Program switch unreachable (test)");
        banner.ShouldContain("1 hour)");
        var row = await page.Locator("#outage tr", new() { HasText = confirmation }).InnerTextAsync();
        row.ShouldContain("Oscar Outage");
        (await WebApp.AxeViolationsAsync(page)).ShouldBeEmpty();
        await WebApp.ScreenshotAsync(page, "pharmacy-outage");

        await page.OpenAsync($"/pharmacy?c={confirmation}");
        (await page.Locator("main").InnerTextAsync()).ShouldContain("by the declared outage");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Prescriber_DeactivatesAndReactivatesAPatient_WithAReason_AndTheLiveAuthorizationIsRevoked()
    {
        var (id, number) = await EnrolAndAuthorizeAsync("Paused Web");
        var page = await app.LoginAsync("dr.park", "demo-park-2026");
        await page.OpenAsync($"/office/patient/{id}");
        (await page.Locator("#enrollment-status").InnerTextAsync()).ShouldBe("Enrolled");

        // No reason: refused next to the field, nothing changed.
        await page.GetByRole(AriaRole.Button, new() { Name = "Deactivate (pause)" }).ClickToNextPageAsync();
        (await page.Locator(".field-validation-error").AllInnerTextsAsync()).ShouldContain("Give the reason for the change.");
        (await page.Locator("#enrollment-status").InnerTextAsync()).ShouldBe("Enrolled");

        await page.GetByLabel("Reason").FillAsync("Therapy paused for surgery.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Deactivate (pause)" }).ClickAsync();
        (await page.Locator(".decision.ok").InnerTextAsync()).ShouldContain($"Revoked: {number}.");
        (await page.Locator("#enrollment-status").InnerTextAsync()).ShouldBe("Inactive");
        (await page.Locator("main").InnerTextAsync()).ShouldContain("Enrolled → Inactive — Therapy paused for surgery.");
        (await page.Locator("main").InnerTextAsync()).ShouldContain($"{number} — Revoked");
        await WebApp.ScreenshotAsync(page, "office-patient-deactivated");

        await page.GetByLabel("Reason").FillAsync("Surgery done.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reactivate" }).ClickAsync();
        (await page.Locator("#enrollment-status").InnerTextAsync()).ShouldBe("Enrolled");
    }

    [Fact]
    public async Task Admin_ReactivatesADisenrolledPatient_SafetyStaffOnlySeeTheList()
    {
        var (id, _) = await EnrolAndAuthorizeAsync("Ended Web");
        using (var park = await BearerAsync("dr.park", "demo-park-2026"))
        {
            (await park.PostAsJsonAsync($"/api/v1/patients/{id}/enrollment/disenroll", new { reason = "Course completed." })).IsSuccessStatusCode.ShouldBeTrue();
        }

        var safety = await app.LoginAsync("safety", "demo-safety-2026");
        await safety.OpenAsync("/admin/enrollments");
        (await safety.Locator("tr", new() { HasText = "Ended Web" }).InnerTextAsync()).ShouldContain("Course completed.");
        (await safety.GetByRole(AriaRole.Button, new() { Name = "Reactivate" }).CountAsync()).ShouldBe(0);
        await safety.Context.CloseAsync();

        var page = await app.LoginAsync("admin", "demo-admin-2026");
        await page.OpenAsync("/admin/enrollments");
        var row = page.Locator("tr", new() { HasText = "Ended Web" });
        (await row.InnerTextAsync()).ShouldContain("Disenrolled");
        (await WebApp.AxeViolationsAsync(page)).ShouldBeEmpty();

        // No reason: refused next to the field, nothing changed.
        await row.GetByRole(AriaRole.Button, new() { Name = "Reactivate" }).ClickAsync();
        (await page.Locator("main").InnerTextAsync()).ShouldContain("A reason is required.");
        (await page.Locator("tr", new() { HasText = "Ended Web" }).InnerTextAsync()).ShouldContain("Disenrolled");

        row = page.Locator("tr", new() { HasText = "Ended Web" });
        await row.GetByLabel("Reason (Ended Web)").FillAsync("Restarting after relapse.");
        await WebApp.ScreenshotAsync(page, "admin-enrollments");
        await row.GetByRole(AriaRole.Button, new() { Name = "Reactivate" }).ClickToNextPageAsync();
        (await page.Locator("#done").InnerTextAsync()).ShouldBe($"The enrollment of Ended Web ({id}) is now enrolled.");
        (await page.Locator("tr", new() { HasText = "Ended Web" }).CountAsync()).ShouldBe(0);

        // The API's core: audited with the reason.
        await page.OpenAsync("/admin/audit?Action=patient.enrollment.reactivate");
        (await page.Locator("tbody").InnerTextAsync()).ShouldContain(id);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Patient_IsToldTheirEnrollmentIsPaused_AndWhatToDo()
    {
        var (id, _) = await EnrolAndAuthorizeAsync("Told Web", new { username = "told.web", password = "demo-told-2026" });
        var page = await app.LoginAsync("told.web", "demo-told-2026");
        await page.OpenAsync("/me");
        (await page.Locator("#enrollment-notice").CountAsync()).ShouldBe(0);

        using var park = await BearerAsync("dr.park", "demo-park-2026");
        (await park.PostAsJsonAsync($"/api/v1/patients/{id}/enrollment/deactivate", new { reason = "Paused while in hospital." })).IsSuccessStatusCode.ShouldBeTrue();
        await page.OpenAsync("/me");
        var notice = await page.Locator("#enrollment-notice").InnerTextAsync();
        notice.ShouldContain("Your REMS enrollment is paused");
        notice.ShouldContain("Please call your prescriber.");

        // A caregiver reads the same notice about the patient, not as if it were theirs.
        using var told = await BearerAsync("told.web", "demo-told-2026");
        (await told.PostAsJsonAsync($"/api/v1/patients/{id}/caregivers", new { username = "carla" })).IsSuccessStatusCode.ShouldBeTrue();
        var carla = await app.LoginAsync("carla", "demo-carla-2026");
        await carla.OpenAsync($"/me?patient={id}");
        notice = await carla.Locator("#enrollment-notice").InnerTextAsync();
        notice.ShouldContain("Told's REMS enrollment is paused");
        notice.ShouldContain("No pharmacy can fill a prescription for Told until it is active again");
        notice.ShouldContain("Please call Told's prescriber.");
        await carla.Context.CloseAsync();
        await page.Context.CloseAsync();
    }

    private HttpClient Api(string header, string value)
    {
        var c = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        c.DefaultRequestHeaders.Add(header, value);
        return c;
    }

    private async Task<HttpClient> BearerAsync(string username, string password)
    {
        var c = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        var r = await c.PostAsJsonAsync("/api/v1/session", new { username, password });
        var token = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return c;
    }

    /// <summary>A new adult male thalidomide patient of Dr. Park's with a first authorization (through the API).</summary>
    private async Task<(string Patient, string Number)> EnrolAndAuthorizeAsync(string name, object? patientLogin = null)
    {
        using var park = await BearerAsync("dr.park", "demo-park-2026");
        var p = await park.PostAsJsonAsync("/api/v1/patients", new
        {
            name, dateOfBirth = "1960-02-02", sex = "male", program = "THAL", prescriberId = "prs_demo_park",
            reproductive = new { mensesInLast24Months = false, naturalMenopauseAtLeast24Months = false, hysterectomy = false, bilateralOophorectomy = false },
            menstrualPattern = "none", agreement = new { signedBy = name, signerRole = "patient", textVersion = "THAL-PPAF-2021-08", accepted = true },
            patientLogin,
        });
        var enrolled = await p.Content.ReadFromJsonAsync<JsonElement>();
        p.IsSuccessStatusCode.ShouldBeTrue(enrolled.ToString());
        var id = enrolled.GetProperty("patient").GetProperty("id").GetString()!;
        var a = await park.PostAsJsonAsync("/api/v1/authorizations", new { patientId = id, drug = "thalidomide", daysSupply = 28, refills = 0, counselingAttested = true });
        var auth = await a.Content.ReadFromJsonAsync<JsonElement>();
        a.IsSuccessStatusCode.ShouldBeTrue(auth.ToString());
        return (id, auth.GetProperty("number").GetString()!);
    }
}
