using ImidCare.Server.Reminders;
using ImidCare.Server.Tests.Support;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using ImidCare.Store.Entities;
using Shouldly;

namespace ImidCare.Server.Tests.Reminders;

/// <summary>
/// The reminders inbox and the job that fills it, in process with the settable clock: the demo
/// inboxes, marking read, the windows to the tick, one run per slot, and the rule behind each.
/// </summary>
public abstract class ReminderTests(ImidCareApp app)
{
    private ReminderJob Job => app.Services.GetRequiredService<ReminderJob>();

    private static IEnumerable<string> Kinds(ApiResult inbox) => inbox.Body.GetProperty("reminders").EnumerateArray().Select(r => r.GetProperty("kind").GetString()!);

    [Fact]
    public async Task DemoInboxes_ShowReminders_WithTheRuleBehindEach()
    {
        app.Clock.Now = ImidCareApp.Start;
        // As a run at the demo's moment leaves them: another test's run at a later moment may have withdrawn what was no longer due then.
        await using (var db = await app.DbAsync())
        {
            await ReminderJob.StoreAsync(db, await ReminderPlanner.DueAsync(db, app.Clock.Now, default), default);
            await db.SaveChangesAsync();
        }

        using var maria = await app.LoginAsync("maria", "demo-maria-2026");
        using var john = await app.LoginAsync("john", "demo-john-2026");
        using var carla = await app.LoginAsync("carla", "demo-carla-2026");
        using var park = await app.ParkAsync();

        var m = await maria.GetJsonAsync("/api/v1/me/reminders");
        m.Code.ShouldBe(200, m.ToString());
        var window = m.Body.GetProperty("reminders").EnumerateArray().Single(r => r.GetProperty("kind").GetString() == ReminderKinds.FirstPrescriptionWindow);
        window.GetProperty("rule").GetProperty("code").GetString().ShouldBe("REMS.FIRST_PRESCRIPTION_WINDOW");
        window.GetProperty("rule").GetProperty("source").GetString()!.ShouldContain("REMS");
        window.GetProperty("patientId").GetString().ShouldBe("pat_demo_maria");

        // John is mid-cycle: today is a dose day and nothing is recorded yet (10:00, usual time 08:00).
        Kinds(await john.GetJsonAsync("/api/v1/me/reminders")).ShouldContain(ReminderKinds.DoseToday);
        var c = await carla.GetJsonAsync("/api/v1/me/reminders");
        Kinds(c).ShouldContain(ReminderKinds.DoseToday);
        c.Body.GetProperty("reminders").EnumerateArray().ShouldAllBe(r => r.GetProperty("patientId").GetString() == "pat_demo_john");

        // Carla reads about John, never as if she were John; John reads it as his own.
        var carlas = c.Body.GetProperty("reminders").EnumerateArray().ToList();
        carlas.ShouldContain(r => r.GetProperty("title").GetString()!.StartsWith("John's dose today: "));
        carlas.ShouldAllBe(r => !(r.GetProperty("title").GetString() + " " + r.GetProperty("detail").GetString()).Contains("your", StringComparison.OrdinalIgnoreCase));
        (await john.GetJsonAsync("/api/v1/me/reminders")).Body.GetProperty("reminders").EnumerateArray()
            .ShouldContain(r => r.GetProperty("title").GetString()!.StartsWith("Dose today: "));
        (await park.GetJsonAsync("/api/v1/me/reminders")).Body.GetProperty("reminders").EnumerateArray()
            .ShouldContain(r => r.GetProperty("kind").GetString() == ReminderKinds.FirstPrescriptionWindow && r.GetProperty("patientId").GetString() == "pat_demo_maria");

        // An organisation key has no inbox.
        (await app.Pharmacy().GetJsonAsync("/api/v1/me/reminders")).Code.ShouldBe(403);
    }

    [Fact]
    public async Task SurveyDue_SendsThePatientToTheForm_AndTellsTheCaregiver()
    {
        // John's monthly survey (last taken 15 Nov) is due within the notice window four weeks on.
        var now = ImidCareApp.Start + Duration.FromDays(28);
        await using var db = await app.DbAsync();
        var due = (await ReminderPlanner.DueAsync(db, now, default)).Where(r => r.Kind == ReminderKinds.SurveyDue && r.PatientId == "pat_demo_john").ToList();

        var john = due.Where(r => r.UserId == "usr_demo_john").ShouldHaveSingleItem();
        john.Title.ShouldMatch(@"^Survey due [A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4}$"); // the date as every page writes it
        john.Link.ShouldBe("/me/survey");

        // Only John may answer it: Carla is told about it and linked to John's page, not to a form that refuses her.
        var carla = due.Where(r => r.UserId == "usr_demo_carla").ShouldHaveSingleItem();
        carla.Title.ShouldBe(john.Title.Replace("Survey due", "John's survey due"));
        carla.Detail.ShouldBe("John takes the survey, signed in, before the next prescription.");
        carla.Link.ShouldBe("/me?patient=pat_demo_john");
    }

    /// <summary>
    /// A new patient with a login, on a pomalidomide plan that starts today with an 08:00 dose: at
    /// the demo's moment (10:00 in New York) the day's dose is due and two hours late.
    /// </summary>
    private static async Task<(string Id, string Username)> OnADoseDayAsync(HttpClient park, string name, string password)
    {
        var username = "r" + Guid.NewGuid().ToString("N")[..8];
        var id = await Scenario.EnrollAsync(park, Scenario.Enrollment(name, login: new { username, password }));
        using var plan = await park.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/api/v1/patients/{id}/plan")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { regimenId = "pom-mm-pd", start = "2026-11-17", usualDoseTime = "08:00", timeZone = "America/New_York" }),
        }, TestContext.Current.CancellationToken);
        plan.IsSuccessStatusCode.ShouldBeTrue(await plan.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return (id, username);
    }

    [Fact]
    public async Task ReportedPregnant_SheIsNoLongerRemindedToTakeIt()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var (id, _) = await OnADoseDayAsync(park, "Pia Pregnant", "demo-pia-2026");

        async Task<List<string>> DoseKindsAsync()
        {
            await using var db = await app.DbAsync();
            return [.. (await ReminderPlanner.DueAsync(db, app.Clock.Now, default)).Where(r => r.PatientId == id).Select(r => r.Kind)];
        }

        (await DoseKindsAsync()).ShouldContain(ReminderKinds.DoseToday);
        var report = await park.PostAsync($"/api/v1/patients/{id}/pregnancy-reports", Scenario.PregnancyReport("Positive home test"));
        report.Code.ShouldBe(201, report.ToString());
        var after = await DoseKindsAsync();
        after.ShouldNotContain(ReminderKinds.DoseToday);
        after.ShouldNotContain(ReminderKinds.DoseMissed);
    }

    [Fact]
    public async Task ARecordedDose_WithdrawsItsUnreadReminder_AtTheNextRun_AndKeepsWhatWasRead()
    {
        app.Clock.Now = ImidCareApp.Start; // 10:00 in New York: today's 08:00 dose is two hours late
        using var park = await app.ParkAsync();
        var (id, username) = await OnADoseDayAsync(park, "Wen Withdraw", "demo-wen-2026");
        using var wen = await app.LoginAsync(username, "demo-wen-2026");

        async Task<List<ReminderRecord>> RunAsync()
        {
            await using var db = await app.DbAsync();
            var due = await ReminderPlanner.DueAsync(db, app.Clock.Now, default);
            await ReminderJob.StoreAsync(db, due, default);
            await db.SaveChangesAsync();
            await ReminderJob.WithdrawAsync(db, due, default);
            return await db.Reminders.AsNoTracking().Where(r => r.PatientId == id).ToListAsync();
        }

        var before = await RunAsync();
        var today = before.Where(r => r.Kind == ReminderKinds.DoseToday).ShouldHaveSingleItem();
        var missed = before.Where(r => r.Kind == ReminderKinds.DoseMissed).ShouldHaveSingleItem();
        (await wen.PostAsync($"/api/v1/me/reminders/{missed.Id}/read")).Code.ShouldBe(200);

        (await wen.PostAsync($"/api/v1/patients/{id}/doses", new { date = "2026-11-17", status = "taken", capsules = 1 })).Code.ShouldBe(201);
        var after = await RunAsync();
        after.ShouldNotContain(r => r.Id == today.Id); // unread, and no longer true
        after.ShouldContain(r => r.Id == missed.Id);   // read: left as it was
        after.ShouldNotBeEmpty();                      // what is still due stays (the labs of the plan, the tests)
    }

    [Fact]
    public async Task ANewerTest_OnTheSameDay_RefreshesTheUnreadDeadline_AndLeavesWhatWasRead()
    {
        // The first-prescription reminder is keyed on the deadline's day; a newer test the same
        // morning moves the deadline by an hour within that day, and the inbox must not keep the old hour.
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var id = await Scenario.EnrollAsync(park, Scenario.Enrollment("Rhea Refresh", login: new { username = "r" + Guid.NewGuid().ToString("N")[..8], password = "demo-rhea-2026" }));
        await Scenario.RecordTestAsync(park, id, app.Clock.Now - Duration.FromDays(12));
        await Scenario.RecordTestAsync(park, id, app.Clock.Now - Duration.FromHours(2));

        async Task<List<ReminderRecord>> RunAsync()
        {
            await using var db = await app.DbAsync();
            var due = await ReminderPlanner.DueAsync(db, app.Clock.Now, default);
            await ReminderJob.StoreAsync(db, due, default);
            await db.SaveChangesAsync();
            return await db.Reminders.AsNoTracking().Where(r => r.PatientId == id && r.Kind == ReminderKinds.FirstPrescriptionWindow).ToListAsync();
        }

        var before = await RunAsync();
        before.ShouldNotBeEmpty();
        before.ShouldAllBe(r => r.Title.Contains("8:00"));
        var office = before.First(r => r.Title.StartsWith("Rhea Refresh"));
        var rhea = before.First(r => r != office);
        await using (var db = await app.DbAsync())
        {
            await db.Reminders.Where(r => r.Id == office.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.ReadAt, app.Clock.Now));
        }

        await Scenario.RecordTestAsync(park, id, app.Clock.Now - Duration.FromHours(1));
        var after = await RunAsync();
        after.Select(r => r.Id).ShouldBe(before.Select(r => r.Id), ignoreOrder: true); // the same reminders, not new ones
        var refreshed = after.Single(r => r.Id == rhea.Id);
        refreshed.Title.ShouldContain("9:00");
        refreshed.RuleMessage.ShouldContain("9:00");
        after.Single(r => r.Id == office.Id).Title.ShouldBe(office.Title); // read: left as it was
    }

    [Fact]
    public async Task MarkRead_OnlyOwnReminder_Audited_AndOnce()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var john = await app.LoginAsync("john", "demo-john-2026");
        using var maria = await app.LoginAsync("maria", "demo-maria-2026");
        var id = (await john.GetJsonAsync("/api/v1/me/reminders")).Body.GetProperty("reminders")[0].GetProperty("id").GetString()!;

        (await maria.PostAsync($"/api/v1/me/reminders/{id}/read")).Code.ShouldBe(404); // not hers: not even its existence
        var read = await john.PostAsync($"/api/v1/me/reminders/{id}/read");
        read.Code.ShouldBe(200, read.ToString());
        read.Body.GetProperty("readAt").GetString().ShouldNotBeNull();
        (await john.PostAsync($"/api/v1/me/reminders/{id}/read")).Code.ShouldBe(200);

        var unread = await john.GetJsonAsync("/api/v1/me/reminders?unread=true");
        unread.Body.GetProperty("reminders").EnumerateArray().ShouldNotContain(r => r.GetProperty("id").GetString() == id);
        await using var db = await app.DbAsync();
        (await db.Audit.CountAsync(a => a.Action == "reminder.read" && a.Subject == $"reminder/{id}")).ShouldBe(1);
        (await AuditChain.VerifyAsync(db)).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task EmailSettings_ValidatedAndAudited_WithoutTheAddress()
    {
        using var john = await app.LoginAsync("john", "demo-john-2026");
        var bad = await john.PutJsonAsync("/api/v1/me/email", new { email = "not an address", emailReminders = true });
        bad.Code.ShouldBe(400);
        bad.ErrorFields.ShouldBe(["email"]);
        (await john.PutJsonAsync("/api/v1/me/email", new { email = (string?)null, emailReminders = true })).Code.ShouldBe(400);
        (await john.PutJsonAsync("/api/v1/me/email", new { email = "john@example.org", emailReminders = false })).Code.ShouldBe(200);
        var inbox = await john.GetJsonAsync("/api/v1/me/reminders");
        inbox.Str("email").ShouldBe("john@example.org");
        await using var db = await app.DbAsync();
        (await db.Audit.Where(a => a.Action == "user.email-settings").Select(a => a.DataJson).ToListAsync()).ShouldAllBe(d => !d.Contains("john@example.org"));
    }

    [Fact]
    public async Task Job_RunsOncePerSlot_AndAuthorizationWindows_ToTheTick()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var patient = await Scenario.ReadyFrpAsync(app, park, "Edge Reminder");
        var number = await Scenario.AuthorizedAsync(park, patient);
        Instant expires;
        await using (var db = await app.DbAsync())
        {
            expires = await db.Authorizations.Where(a => a.Number == number).Select(a => a.ExpiresAt).SingleAsync();
        }

        async Task<List<string>> KindsForAsync()
        {
            await using var db = await app.DbAsync();
            return await db.Reminders.Where(r => r.Subject == number && r.UserId == "usr_demo_dr_park").Select(r => r.Kind).ToListAsync();
        }

        // One tick before the 24-hour notice: nothing about this authorization.
        app.Clock.Now = expires - ReminderPlanner.AuthorizationNotice - Duration.Epsilon;
        (await Job.RunOnceAsync()).Ran.ShouldBeTrue();
        (await KindsForAsync()).ShouldBeEmpty();

        // The same slot again: not run a second time.
        var again = await Job.RunOnceAsync();
        again.Ran.ShouldBeFalse();
        again.SkippedBecause.ShouldBe("done");

        // Exactly 24 hours before (midnight in New York is a slot boundary): announced.
        app.Clock.Now = expires - ReminderPlanner.AuthorizationNotice;
        (await Job.RunOnceAsync()).Ran.ShouldBeTrue();
        (await KindsForAsync()).ShouldBe([ReminderKinds.AuthorizationExpiring]);

        // A later slot finds the same reminder already there: no duplicate.
        app.Clock.Now = expires - Duration.FromHours(1);
        (await Job.RunOnceAsync()).Ran.ShouldBeTrue();
        (await KindsForAsync()).ShouldBe([ReminderKinds.AuthorizationExpiring]);

        // One tick before it closes: still not "expired"; at the instant it closes: expired unused.
        app.Clock.Now = expires - Duration.Epsilon;
        await Job.RunOnceAsync();
        (await KindsForAsync()).ShouldNotContain(ReminderKinds.AuthorizationExpiredUnused);
        app.Clock.Now = expires;
        (await Job.RunOnceAsync()).Ran.ShouldBeTrue();
        // "Expires" is no longer true once it has: that unread reminder is withdrawn, "expired unused" takes its place.
        (await KindsForAsync()).ShouldBe([ReminderKinds.AuthorizationExpiredUnused]);

        await using (var db = await app.DbAsync())
        {
            var runs = await db.JobRuns.Where(r => r.Job == ReminderJob.Name).ToListAsync();
            runs.GroupBy(r => r.Slot).ShouldAllBe(g => g.Count() == 1);
            runs.ShouldAllBe(r => r.FinishedAt != null);
            (await db.Audit.CountAsync(a => a.Action == "job.claimed")).ShouldBe(runs.Count);
            var reminder = await db.Reminders.FirstAsync(r => r.Subject == number && r.Kind == ReminderKinds.AuthorizationExpiredUnused);
            reminder.RuleCode.ShouldBe("REMS.AUTHORIZATION_EXPIRED");
            reminder.RuleSource.ShouldNotBeNullOrWhiteSpace();
            (await AuditChain.VerifyAsync(db)).Intact.ShouldBeTrue();
        }

        app.Clock.Now = ImidCareApp.Start;
    }

    [Fact]
    public async Task ARun_PlansTheSameReminders_WhateverItsPageOfPatients()
    {
        // A run reads the enrolled patients a page at a time (a million are not held at once);
        // the page's size must change nothing, at the edges of a page least of all.
        app.Clock.Now = ImidCareApp.Start;
        await using var db = await app.DbAsync();
        var whole = (await ReminderPlanner.DueAsync(db, app.Clock.Now, default)).Select(r => r.Id).Order().ToList();
        var enrolled = await db.Enrollments.Select(e => e.PatientId).Distinct().CountAsync();
        enrolled.ShouldBeGreaterThan(3);
        whole.ShouldNotBeEmpty();
        foreach (var size in new[] { 1, 2, 3, enrolled - 1, enrolled })
        {
            (await ReminderPlanner.DueAsync(db, app.Clock.Now, default, size)).Select(r => r.Id).Order().ToList().ShouldBe(whole, $"pages of {size}");
        }
    }
}

public sealed class SqliteReminderTests(SqliteApp app) : ReminderTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresReminderTests(PostgresApp app) : ReminderTests(app), IClassFixture<PostgresApp>;
