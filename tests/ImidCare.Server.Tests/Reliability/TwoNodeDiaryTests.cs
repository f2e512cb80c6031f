using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ImidCare.Server.Tests.Support;
using ImidCare.Store;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests.Reliability;

/// <summary>
/// Two server processes on one PostgreSQL: the patient and his caregiver record the same days at
/// the same moment, through both nodes. Each day ends with one entry, every request is answered
/// 2xx, and each day has one `dose.recorded` and the rest `dose.corrected`.
/// This held before the unique index too, and does not reach the index: every node's write batch
/// takes the audit chain's advisory lock before its first read, so a node's look at a day sees the
/// other node's committed entry and corrects it. The test pins that for the diary. The race the
/// index and the diary write's retry answer, a row committed by a writer outside the gate between
/// the look and the insert, is <see cref="DiaryLostRaceTests"/>.
/// </summary>
public sealed class TwoNodeDiaryTests
{
    [Fact]
    public async Task TwoNodes_RecordingTheSameDaysAtOnce_OneEntryPerDay_EveryRequestAnswered()
    {
        await using var database = await TestDatabase.CreateAsync(StorageProvider.Postgres);
        var cs = database.Options.ConnectionString;
        (await ServerProcess.RunAsync("seed", "--provider", "postgres", "--connection", cs)).Exit.ShouldBe(0);
        var options = new DbContextOptionsBuilder<ImidCareDb>();
        database.Options.Configure(options);

        // The seed filled the diary up to yesterday: the last six days are emptied so each is a first entry to race for.
        // (The nodes run on the real clock; the plan's zone decides the day, and the days stay clear of today's edges.)
        var today = SystemClock.Instance.GetCurrentInstant().InZone(DateTimeZoneProviders.Tzdb["America/New_York"]).Date;
        var days = Enumerable.Range(1, 6).Select(d => today.PlusDays(-d)).ToList();
        await using (var db = new ImidCareDb(options.Options))
        {
            var first = days[^1];
            await db.DoseEntries.Where(d => d.PatientId == "pat_demo_john" && d.Date >= first).ExecuteDeleteAsync();
        }

        await using var a = await ServerProcess.StartAsync("postgres", cs);
        await using var b = await ServerProcess.StartAsync("postgres", cs);
        using var john = await LoginAsync(a, "john", "demo-john-2026");
        using var carla = await LoginAsync(b, "carla", "demo-carla-2026");
        using var johnOnB = await LoginAsync(b, "john", "demo-john-2026");
        using var carlaOnA = await LoginAsync(a, "carla", "demo-carla-2026");

        const string Diary = "/api/v1/patients/pat_demo_john/doses";
        var results = await Task.WhenAll(days.SelectMany(day => new[] { john, carla, johnOnB, carlaOnA }.Select(c =>
            c.PostAsync(Diary, new { date = day.ToString("yyyy-MM-dd", null), status = "taken", capsules = 1 }))));
        results.ShouldAllBe(r => r.Code == 200 || r.Code == 201, string.Join("\n", results.Where(r => r.Code is not (200 or 201))));
        results.Count(r => r.Code == 201).ShouldBe(days.Count);

        await using var check = new ImidCareDb(options.Options);
        foreach (var day in days)
        {
            (await check.DoseEntries.CountAsync(d => d.PatientId == "pat_demo_john" && d.Date == day)).ShouldBe(1, $"{day}");
        }

        (await AuditChain.VerifyAsync(check)).Intact.ShouldBeTrue();
        var recorded = await check.Audit.Where(x => x.Subject == "patient/pat_demo_john" && (x.Action == "dose.recorded" || x.Action == "dose.corrected")).ToListAsync();
        recorded.Count(x => x.Action == "dose.recorded").ShouldBe(days.Count);
        recorded.Count(x => x.Action == "dose.corrected").ShouldBe(results.Length - days.Count);
    }

    private static async Task<HttpClient> LoginAsync(ServerProcess node, string username, string password)
    {
        using var anon = new HttpClient { BaseAddress = node.BaseAddress };
        var r = await anon.PostAsJsonAsync("/api/v1/session", new { username, password });
        r.EnsureSuccessStatusCode();
        var token = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        var c = new HttpClient { BaseAddress = node.BaseAddress };
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return c;
    }
}
