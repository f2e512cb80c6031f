using System.Net;
using System.Text.RegularExpressions;
using ImidCare.Server.Reminders;
using ImidCare.Server.Tests.Support;
using ImidCare.Store;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using Shouldly;

namespace ImidCare.Server.Tests.Reliability;

/// <summary>
/// Two `imidcare serve` processes on one PostgreSQL: the reminder job runs each slot on exactly
/// one of them and stores each reminder once; and a login cookie made by one node is accepted by
/// the other (the Data Protection key ring lives in the database).
/// </summary>
public sealed partial class TwoNodeReminderTests
{
    [Fact]
    public async Task TwoNodes_OneRunPerSlot_EachReminderOnce_AndOneLoginForBoth()
    {
        await using var database = await TestDatabase.CreateAsync(StorageProvider.Postgres);
        var cs = database.Options.ConnectionString;
        (await ServerProcess.RunAsync("seed", "--provider", "postgres", "--connection", cs)).Exit.ShouldBe(0);
        await using (var db = database.Context())
        {
            // The seed made today's reminders already; without them the nodes have the work to do.
            (await db.Reminders.CountAsync()).ShouldBeGreaterThan(0);
            await db.Reminders.ExecuteDeleteAsync();
        }

        var settings = new Dictionary<string, string> { ["ImidCare__Reminders__Enabled"] = "true", ["ImidCare__Reminders__Interval"] = "00:00:02" };
        await using var a = await ServerProcess.StartAsync("postgres", cs, settings);
        await using var b = await ServerProcess.StartAsync("postgres", cs, settings);

        // One login, on node A.
        var cookies = new CookieContainer();
        using var onA = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = a.BaseAddress };
        var form = await onA.GetStringAsync("/login");
        var token = AntiforgeryField().Match(form).Groups[1].Value;
        var login = await onA.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Username"] = "maria", ["Password"] = "demo-maria-2026", ["__RequestVerificationToken"] = token,
        }));
        login.StatusCode.ShouldBe(HttpStatusCode.Redirect);

        // Node B reads node A's cookie: the inbox page, not a redirect to the login.
        var cookieHeader = cookies.GetCookieHeader(a.BaseAddress);
        cookieHeader.ShouldContain(".ImidCare.Web=");
        using var onB = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = b.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/inbox");
        request.Headers.Add("Cookie", cookieHeader);
        request.Headers.Add("Accept", "text/html");
        var page = await onB.SendAsync(request);
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).ShouldContain("Reminders");

        // Both nodes poll every half second for 2-second slots; wait for several runs (a loaded machine is slower).
        for (var i = 0; i < 240; i++)
        {
            await using var db = database.Context();
            if (await db.JobRuns.CountAsync(r => r.Job == ReminderJob.Name && r.FinishedAt != null) >= 4)
            {
                break;
            }

            await Task.Delay(500);
        }

        await a.DisposeAsync();
        await b.DisposeAsync();

        await using var check = database.Context();
        var runs = await check.JobRuns.Where(r => r.Job == ReminderJob.Name).ToListAsync();
        runs.Count.ShouldBeGreaterThanOrEqualTo(3);
        runs.GroupBy(r => r.Slot).ShouldAllBe(g => g.Count() == 1);
        (await check.Audit.CountAsync(x => x.Action == "job.claimed")).ShouldBe(runs.Count);

        var reminders = await check.Reminders.ToListAsync();
        reminders.Count.ShouldBeGreaterThan(0);
        reminders.GroupBy(r => (r.UserId, r.Kind, r.Subject, r.DueOn)).ShouldAllBe(g => g.Count() == 1);

        // Every stored reminder was added by exactly one run: the counts audited with each insert add up to the rows.
        var generated = await check.Audit.Where(x => x.Action == "reminders.generated" && x.Actor == "job/" + ReminderJob.Name).Select(x => x.DataJson).ToListAsync();
        generated.Sum(d => System.Text.Json.JsonDocument.Parse(d).RootElement.GetProperty("count").GetInt32()).ShouldBe(reminders.Count);
        (await AuditChain.VerifyAsync(check)).Intact.ShouldBeTrue();
        (await check.DataProtectionKeys.CountAsync()).ShouldBe(1);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
