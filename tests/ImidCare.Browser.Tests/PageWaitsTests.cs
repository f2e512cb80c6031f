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
    private const string Footer = "<footer class=\"foot\"><p>end</p></footer>";

    [Fact]
    public async Task Open_ReturnsWhenTheContentIsThere_WithoutTheLoadEvent()
    {
        var page = await NewPageAsync(TimeSpan.FromSeconds(20));
        // An image that never arrives: the document is parsed but "load" never fires, the CI failure's shape.
        await page.RouteAsync("**/held.png", _ => { });
        await page.RouteAsync("**/held-page", r => r.FulfillAsync(new() { ContentType = "text/html", Body = $"<!DOCTYPE html><html><body><main><img src=\"/held.png\" alt=\"held\"></main>{Footer}</body></html>" }));

        (await page.OpenAsync("/held-page"))!.Status.ShouldBe(200);
        (await page.EvaluateAsync<string>("() => document.readyState")).ShouldBe("interactive"); // parsed, not loaded
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Open_WhenTheContentNeverComes_SaysWhatTheDocumentAndTheRequestsSay()
    {
        var page = await NewPageAsync(TimeSpan.FromSeconds(3));
        await page.RouteAsync("**/broken.css", r => r.AbortAsync());
        await page.RouteAsync("**/no-footer", r => r.FulfillAsync(new() { ContentType = "text/html", Body = "<!DOCTYPE html><html><head><link rel=\"stylesheet\" href=\"/broken.css\"></head><body><main>no footer</main></body></html>" }));

        var e = await Should.ThrowAsync<TimeoutException>(() => page.OpenAsync("/no-footer"));
        e.Message.ShouldStartWith("/no-footer did not open. Page: " + app.BaseUrl + "/no-footer (document: complete, ");
        e.Message.ShouldContain(" characters). Failed requests: GET " + app.BaseUrl + "/broken.css: ");
        e.Message.ShouldContain("Server warnings: ");
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
            return r.FulfillAsync(new() { ContentType = "text/html", Body = $"<!DOCTYPE html><html><body><main>{main}</main>{Footer}</body></html>" });
        });
        await page.OpenAsync("/form");

        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickToNextPageAsync();
        (await page.ContentAsync()).ShouldContain("<p id=\"answer\">sent</p>");
        await page.Context.CloseAsync();
    }

    private async Task<IPage> NewPageAsync(TimeSpan timeout)
    {
        var page = await (await app.NewContextAsync()).NewPageAsync();
        page.SetDefaultTimeout((float)timeout.TotalMilliseconds);
        page.SetDefaultNavigationTimeout((float)timeout.TotalMilliseconds);
        return page;
    }
}
