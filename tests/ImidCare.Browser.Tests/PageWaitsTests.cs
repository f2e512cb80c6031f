using ImidCare.Browser.Tests.Support;
using Microsoft.Playwright;
using Shouldly;

namespace ImidCare.Browser.Tests;

/// <summary>
/// The suite's own waits (Support/PageWaits): a page counts as there when its content is in the DOM,
/// whatever the browser's lifecycle events do, and a page that does not come says why. The pages
/// here are answered by the browser's request routing, so each can hold back what it needs to.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class PageWaitsTests(WebApp app)
{
    [Fact]
    public async Task Open_ReturnsWhenTheContentIsThere_WithoutTheLoadEvent()
    {
        var page = await NewPageAsync(TimeSpan.FromSeconds(20));
        // An image that never arrives: the document is parsed but "load" never fires, the CI failure's shape.
        await page.RouteAsync("**/held.png", _ => { });
        await page.RouteAsync("**/held-page", r => PageAsync(r, string.Empty, "<img src=\"/held.png\" alt=\"held\">"));

        (await page.OpenAsync("/held-page"))!.Status.ShouldBe(200);
        (await page.EvaluateAsync<string>("() => document.readyState")).ShouldBe("interactive"); // parsed, not loaded
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Open_WhenTheContentNeverComes_SaysWhatTheDocumentAndTheRequestsSay()
    {
        var page = await NewPageAsync(TimeSpan.FromSeconds(3));
        // One stylesheet refused (a failed request; its sheet counts as settled), one never answered (a sheet not applied).
        await page.RouteAsync("**/broken.css", r => r.AbortAsync());
        await page.RouteAsync("**/held.css", _ => { });
        await page.RouteAsync("**/no-footer", r => PageAsync(r, "<link rel=\"stylesheet\" href=\"/broken.css\"><link rel=\"stylesheet\" href=\"/held.css\">", "no footer", footer: false));

        var e = await Should.ThrowAsync<TimeoutException>(() => page.OpenAsync("/no-footer"));
        e.Message.ShouldStartWith("/no-footer did not open. Page: " + app.BaseUrl + "/no-footer (document: interactive, ");
        e.Message.ShouldContain(" characters, stylesheets not applied: 1). Failed requests: GET " + app.BaseUrl + "/broken.css: ");
        e.Message.ShouldContain("Server warnings: ");
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // a test may turn the page's script off; the wait must not depend on it
    public async Task Styled_WaitsForTheStylesheet_ThatTheFooterDoesNotWaitFor(bool javaScript)
    {
        var page = await NewPageAsync(TimeSpan.FromSeconds(20), javaScript);
        await page.RouteAsync("**/slow.css", async r =>
        {
            await Task.Delay(1_500);
            await r.FulfillAsync(new() { ContentType = "text/css", Body = "footer { color: rgb(1, 2, 3); }" });
        });
        await page.RouteAsync("**/styled-page", r => PageAsync(r, "<link rel=\"stylesheet\" href=\"/slow.css\">", "styled"));
        await page.OpenAsync("/styled-page");

        await page.StyledAsync();
        (await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('footer')).color")).ShouldBe("rgb(1, 2, 3)");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ClickToNextPage_WaitsForTheNextDocument_AtTheSameAddress_EvenWhenTheClickDoesNot()
    {
        var page = await NewPageAsync(TimeSpan.FromSeconds(20));
        // A form posted back to its own address, sent by the page's script after the click has returned: Playwright's click does
        // not wait for that navigation (nor, once its deprecated NoWaitAfter defaults to true, for any), and the footer of the page
        // left behind must not count.
        await page.RouteAsync("**/form", r =>
        {
            var main = r.Request.Method == "POST"
                ? "<p id=\"answer\">sent</p>"
                : "<form method=\"post\"><button type=\"button\" onclick=\"setTimeout(() => this.form.submit(), 500)\">Send</button></form>";
            return PageAsync(r, string.Empty, main);
        });
        await page.OpenAsync("/form");

        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickToNextPageAsync();
        (await page.ContentAsync()).ShouldContain("<p id=\"answer\">sent</p>");
        await page.Context.CloseAsync();
    }

    /// <summary>Answers with a page shaped like the layout's: <paramref name="head"/>, <paramref name="main"/>, and the footer unless told not to.</summary>
    private static Task PageAsync(IRoute route, string head, string main, bool footer = true) => route.FulfillAsync(new()
    {
        ContentType = "text/html",
        Body = $"<!DOCTYPE html><html><head>{head}</head><body><main>{main}</main>{(footer ? "<footer class=\"foot\"><p>end</p></footer>" : string.Empty)}</body></html>",
    });

    private async Task<IPage> NewPageAsync(TimeSpan timeout, bool javaScript = true)
    {
        var page = await (await app.NewContextAsync(new() { JavaScriptEnabled = javaScript })).NewPageAsync();
        page.SetDefaultTimeout((float)timeout.TotalMilliseconds);
        page.SetDefaultNavigationTimeout((float)timeout.TotalMilliseconds);
        return page;
    }
}
