using System.Net;
using System.Net.Http.Json;
using ImidCare.Server.Tests.Support;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>
/// The login lockout (15 minutes after 5 failures) and the session lifetime (12 hours), each at
/// its edges: the last tick inside, the first instant outside. The durations are written here, not
/// read from SessionEndpoints, so a constant moved by a unit fails.
/// </summary>
public abstract class SessionWindowTests(ImidCareApp app)
{
    private static readonly Duration Lockout = Duration.FromMinutes(15);
    private static readonly Duration Lifetime = Duration.FromHours(12);
    private static readonly Duration Tick = Duration.FromTicks(1);

    private async Task<HttpStatusCode> LoginCodeAsync(string username, string password)
    {
        using var anon = app.Client();
        using var r = await anon.PostAsJsonAsync("/api/v1/session", new { username, password });
        return r.StatusCode;
    }

    [Fact]
    public async Task Lockout_LastsFifteenMinutes_ToTheTick()
    {
        var start = ImidCareApp.Start + Duration.FromDays(3);
        app.Clock.Now = start;
        for (var i = 0; i < 5; i++)
        {
            (await LoginCodeAsync("dr.ode", "wrong-password")).ShouldBe(HttpStatusCode.Unauthorized);
        }

        app.Clock.Now = start + Lockout - Tick;
        ((int)await LoginCodeAsync("dr.ode", "demo-ode-2026")).ShouldBe(423);
        app.Clock.Now = start + Lockout;
        (await LoginCodeAsync("dr.ode", "demo-ode-2026")).ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Session_LastsTwelveHours_ToTheTick()
    {
        var start = ImidCareApp.Start + Duration.FromDays(5);
        app.Clock.Now = start;
        using var john = await app.LoginAsync("john", "demo-john-2026");
        app.Clock.Now = start + Lifetime - Tick;
        (await john.GetAsync("/api/v1/patients/pat_demo_john/doses")).StatusCode.ShouldBe(HttpStatusCode.OK);
        app.Clock.Now = start + Lifetime;
        (await john.GetAsync("/api/v1/patients/pat_demo_john/doses")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}

public sealed class SqliteSessionWindowTests(SqliteApp app) : SessionWindowTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresSessionWindowTests(PostgresApp app) : SessionWindowTests(app), IClassFixture<PostgresApp>;
