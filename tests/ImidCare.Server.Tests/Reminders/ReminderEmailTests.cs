using ImidCare.Server.Reminders;
using ImidCare.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests.Reminders;

/// <summary>The server configured with a real SMTP server (python3-aiosmtpd) as ImidCare:Smtp.</summary>
public sealed class SmtpApp : SqliteApp
{
    public SmtpSink Sink { get; } = new();

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["ImidCare:Smtp:Host"] = "127.0.0.1",
        ["ImidCare:Smtp:Port"] = Sink.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["ImidCare:Smtp:From"] = "ImidCare <reminders@imidcare.test>",
        ["ImidCare:PublicUrl"] = "https://imidcare.test",
    };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Sink.Dispose();
    }
}

/// <summary>Reminder emails: one per reminder, to the right address, only for people who asked, saying nothing about health.</summary>
public sealed class ReminderEmailTests(SmtpApp app) : IClassFixture<SmtpApp>
{
    [Fact]
    public async Task EachReminder_OneEmail_ToWhoAskedForIt_WithNoHealthDetails()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var maria = await app.LoginAsync("maria", "demo-maria-2026");
        using var carla = await app.LoginAsync("carla", "demo-carla-2026");
        using var john = await app.LoginAsync("john", "demo-john-2026");
        (await maria.PutJsonAsync("/api/v1/me/email", new { email = "maria@example.org", emailReminders = true })).Code.ShouldBe(200);
        (await carla.PutJsonAsync("/api/v1/me/email", new { email = "carla@example.org", emailReminders = true })).Code.ShouldBe(200);
        (await john.PutJsonAsync("/api/v1/me/email", new { email = "john@example.org", emailReminders = false })).Code.ShouldBe(200); // address given, emails off

        var job = app.Services.GetRequiredService<ReminderJob>();
        app.Clock.Now = ImidCareApp.Start + Duration.FromMinutes(20);
        var run = await job.RunOnceAsync();
        run.Ran.ShouldBeTrue();
        run.EmailFailures.ShouldBe(0);

        // A second slot, and a third: nothing new to say, nothing sent again.
        app.Clock.Now += Duration.FromMinutes(15);
        (await job.RunOnceAsync()).Emailed.ShouldBe(0);
        app.Clock.Now += Duration.FromMinutes(15);
        (await job.RunOnceAsync()).Emailed.ShouldBe(0);

        await using var db = await app.DbAsync();
        var wanted = await db.Reminders.Where(r => r.UserId == "usr_demo_maria" || r.UserId == "usr_demo_carla").ToListAsync();
        wanted.Count.ShouldBeGreaterThan(0);
        wanted.ShouldAllBe(r => r.EmailedAt != null);
        (await db.Reminders.CountAsync(r => r.UserId == "usr_demo_john" && r.EmailedAt != null)).ShouldBe(0);

        var messages = app.Sink.Messages;
        messages.Count.ShouldBe(wanted.Count);
        messages.Count(m => m.To == "maria@example.org").ShouldBe(wanted.Count(r => r.UserId == "usr_demo_maria"));
        messages.Count(m => m.To == "carla@example.org").ShouldBe(wanted.Count(r => r.UserId == "usr_demo_carla"));
        foreach (var (_, raw) in messages)
        {
            // Everything but the recipient's own address.
            var text = string.Join('\n', raw.Split('\n').Where(l => !l.StartsWith("To:", StringComparison.Ordinal) && !l.StartsWith("X-Envelope-To:", StringComparison.Ordinal)));
            text.ShouldContain("Subject: " + ReminderMailer.Subject);
            text.ShouldContain("https://imidcare.test/inbox");
            foreach (var secret in new[] { "Maria", "Lopez", "John", "Carter", "pomalidomide", "lenalidomide", "pregnan", "dose", "2026-" })
            {
                text.ShouldNotContain(secret, Case.Insensitive);
            }
        }
    }
}
