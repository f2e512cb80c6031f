using ImidCare.Browser.Tests.Support;
using Shouldly;

namespace ImidCare.Browser.Tests;

/// <summary>axe-core (WCAG 2.1 A/AA) finds no violation on the main pages of each role.</summary>
[Collection(WebCollection.Name)]
public sealed class AccessibilityTests(WebApp app)
{
    public static TheoryData<string, string, string> Pages => new()
    {
        { "dr.park", "demo-park-2026", "/office" },
        { "dr.park", "demo-park-2026", "/office/enroll" },
        { "dr.park", "demo-park-2026", "/office/patient/pat_demo_rosa" },
        { "dr.park", "demo-park-2026", "/office/agreement/pat_demo_maria" },
        { "dr.park", "demo-park-2026", "/office/therapy/pat_demo_john" },
        { "pharmacist", "demo-pharm-2026", "/pharmacy" },
        { "admin", "demo-admin-2026", "/admin" },
        { "admin", "demo-admin-2026", "/admin/audit" },
        { "admin", "demo-admin-2026", "/admin/holds" },
        { "admin", "demo-admin-2026", "/admin/certifications" },
        { "admin", "demo-admin-2026", "/admin/enrollments" },
        { "john", "demo-john-2026", "/me" },
        { "john", "demo-john-2026", "/inbox" },
        { "carla", "demo-carla-2026", "/inbox" },
        { "dr.park", "demo-park-2026", "/inbox" },
        { "pharmacist", "demo-pharm-2026", "/inbox" },
        { "john", "demo-john-2026", "/me/survey" },
        { "john", "demo-john-2026", "/me/charts" },
        { "john", "demo-john-2026", "/me/caregivers" },
        { "john", "demo-john-2026", "/me/visitsummary" },
        { "john", "demo-john-2026", "/learn/symptoms?Drug=Lenalidomide&Text=fever" },
        { "john", "demo-john-2026", "/learn/drug/lenalidomide" },
        { "john", "demo-john-2026", "/learn/wallet-card" },
        { "john", "demo-john-2026", "/learn/resources" },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_HasNoAxeViolations(string user, string password, string url)
    {
        var page = await app.LoginAsync(user, password);
        await page.OpenAsync(url);
        var violations = await WebApp.AxeViolationsAsync(page);
        violations.ShouldBeEmpty(string.Join("\n", violations));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TheCheck_CatchesAViolation()
    {
        var page = await app.LoginAsync("john", "demo-john-2026");
        await page.OpenAsync("/learn");
        await page.EvaluateAsync("() => document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/static/site.css\">')");
        (await WebApp.AxeViolationsAsync(page)).ShouldContain(v => v.StartsWith("image-alt", StringComparison.Ordinal));
        await page.Context.CloseAsync();
    }
}
