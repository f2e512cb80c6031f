using System.Net;
using ImidCare.Server.Tests.Support;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>The server with tight limits: 5 requests/s per caller, 3 logins a minute per address.</summary>
public sealed class TightLimitsApp : SqliteApp
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["ImidCare:RateLimit:PerCallerPerSecond"] = "5",
        ["ImidCare:RateLimit:LoginPerMinute"] = "3",
    };
}

public sealed class HardeningTests(TightLimitsApp app) : IClassFixture<TightLimitsApp>
{
    [Fact]
    public async Task OneCallerOverItsLimit_Gets429WithRetryAfter_OthersDoNot()
    {
        using var pharmacy = app.Pharmacy();
        var results = new List<HttpResponseMessage>();
        for (var i = 0; i < 30; i++)
        {
            results.Add(await pharmacy.GetAsync("/api/v1/programs", TestContext.Current.CancellationToken));
        }

        var limited = results.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        limited.ShouldNotBeEmpty();
        limited[0].Headers.RetryAfter.ShouldNotBeNull();
        limited[0].Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");

        // Another caller (the office key) is not starved by the pharmacy's burst.
        using var office = app.Client(apiKey: Hosting.DemoSeed.OfficeKey);
        (await office.GetAsync("/api/v1/programs", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Logins_AreLimitedPerAddress()
    {
        using var anon = app.Client();
        var codes = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            codes.Add((await anon.PostAsync("/api/v1/session", new { username = "nobody", password = "guess" + i })).Code);
        }

        codes.Take(3).ShouldAllBe(c => c == 401);
        codes.Skip(3).ShouldAllBe(c => c == 429);
    }

    [Fact]
    public async Task Responses_CarrySecurityHeaders_AndApiAnswersAreNotCached()
    {
        using var anon = app.Client();
        using var r = await anon.GetAsync("/api/v1/ping", TestContext.Current.CancellationToken);
        r.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
        r.Headers.GetValues("X-Frame-Options").ShouldBe(["DENY"]);
        r.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("frame-ancestors 'none'");
        r.Headers.CacheControl!.NoStore.ShouldBeTrue();
    }
}

/// <summary>The web login's limit, on a server of its own: the API login test above spends the same address's attempts.</summary>
public sealed class LoginPageLimitTests(TightLimitsApp app) : IClassFixture<TightLimitsApp>
{
    [Fact]
    public async Task LoginPage_OpeningItIsNotAnAttempt_AndABrowserOverTheLimitGetsAPage()
    {
        using var browser = app.Client();
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 8 && limited is null; i++)
        {
            // However many attempts were made, the page itself still opens.
            (await browser.GetAsync("/login", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
            var attempt = await browser.PostAsync("/login", new FormUrlEncodedContent([new("Username", "nobody"), new("Password", "guess")]), TestContext.Current.CancellationToken);
            limited = attempt.StatusCode == HttpStatusCode.TooManyRequests ? attempt : null;
        }

        // Three attempts a minute here: the fourth is refused.
        limited.ShouldNotBeNull();
        limited.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        (await limited.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("Too many sign-in attempts");
        limited.Headers.RetryAfter.ShouldNotBeNull();
    }
}
