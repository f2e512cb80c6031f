using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace ImidCare.Browser.Tests.Support;

/// <summary>
/// Navigation that waits for the page's own content in the DOM, never for the browser's "load" or
/// "domcontentloaded". On CI, with Debian's Chromium (newer than the one Playwright is built
/// against), a first login has twice reached its start page, the server having answered, and then
/// seen only "networkidle" from Playwright (which computes it itself), never the two events that come
/// from Chromium, for 30 and 90 s. Every wait here is a commit (the server answered and the browser
/// switched documents) and then <see cref="ContentMarker"/> found by querying the DOM, which does not
/// depend on those events; a failure says what the document itself reports (readyState, size), the
/// failed requests and the server's warnings.
/// </summary>
public static class PageWaits
{
    /// <summary>
    /// The layout's footer (Pages/Shared/_Layout.cshtml), its last element before the deferred script.
    /// Every page uses that layout, the login page, the refusal (403) and "not found" (404) pages
    /// included, so once the footer is in the DOM the server-rendered page above it is too.
    /// </summary>
    public const string ContentMarker = "footer.foot";

    // What each browser context has seen go wrong, for the failure messages (see Watch).
    private static readonly ConditionalWeakTable<IBrowserContext, Watched> Contexts = new();

    /// <summary>Goes to <paramref name="url"/> and waits for its content; the response keeps its status for assertions (a 403 page is a page).</summary>
    public static async Task<IResponse?> OpenAsync(this IPage page, string url)
    {
        IResponse? response = null;
        await ArriveAsync(page, $"{url} did not open", async () => response = await page.GotoAsync(url, new() { WaitUntil = WaitUntilState.Commit }));
        return response;
    }

    /// <summary>Waits until the page's address matches <paramref name="url"/> and that page's content is in the DOM.</summary>
    public static Task WaitForPageAsync(this IPage page, Regex url) =>
        ArriveAsync(page, $"No page at an address matching {url} came", () => page.WaitForURLAsync(url, new() { WaitUntil = WaitUntilState.Commit }));

    /// <summary>As <see cref="WaitForPageAsync(IPage, Regex)"/>, with <paramref name="failure"/> opening the message if it does not come.</summary>
    public static Task WaitForPageAsync(this IPage page, Func<string, bool> url, string failure) =>
        ArriveAsync(page, failure, () => page.WaitForURLAsync(url, new() { WaitUntil = WaitUntilState.Commit }));

    /// <summary>
    /// Clicks a link or a submit button and waits for the whole next page, for the reads that do not
    /// wait on their own (counts, all texts, the page's HTML, axe-core): they would otherwise see a page
    /// still being parsed. The page the click leaves is marked first, so the footer waited for is the
    /// next page's even where the address stays the same (a form posted back to its own page) and
    /// where the navigation starts after the click returns (Playwright's click waits only for the
    /// navigations it sees start, and that wait, NoWaitAfter = false, is deprecated).
    /// </summary>
    public static async Task ClickToNextPageAsync(this ILocator target)
    {
        var page = target.Page;
        await page.EvaluateAsync("() => { document.documentElement.dataset.left = ''; }");
        await ArriveAsync(page, $"The click on {target} brought no next page", () => target.ClickAsync(), $"html:not([data-left]) {ContentMarker}");
    }

    /// <summary>Keeps what goes wrong in <paramref name="context"/> (failed requests) beside the server's log, for the failure messages.</summary>
    internal static void Watch(IBrowserContext context, RecentLog serverLog)
    {
        var watched = new Watched(serverLog);
        context.RequestFailed += (_, r) => watched.Failed.Enqueue($"{r.Method} {r.Url}: {r.Failure}");
        Contexts.AddOrUpdate(context, watched);
    }

    /// <summary>
    /// Waits until every stylesheet of the page applies. "load" used to include them; the footer does
    /// not, and axe-core's contrast rules and the screenshots need the styled page (unstyled, black on
    /// white passes every contrast check). Asked from here in a loop rather than with
    /// WaitForFunctionAsync, whose in-page timers do not run where a test turns JavaScript off.
    /// </summary>
    public static Task StyledAsync(this IPage page) =>
        ExplainedAsync(page, "The page's stylesheets did not apply", async () =>
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (await AskAsync<bool>(page, $"() => {UnstyledSheets} === 0") is not true)
            {
                if (waited.ElapsedMilliseconds > WebApp.ActionTimeoutMs)
                {
                    throw new TimeoutException($"Not in {WebApp.ActionTimeoutMs} ms.");
                }

                await Task.Delay(50);
            }
        });

    /// <summary>What the page and the server say: the address, the document's readyState, size and stylesheets, failed requests, the server's warnings.</summary>
    internal static async Task<string> SeenAsync(IPage page)
    {
        var said = await AskAsync<string>(page, $"() => document.readyState + ', ' + document.documentElement.outerHTML.length + ' characters, stylesheets not applied: ' + {UnstyledSheets}") ?? "no answer in 5 s";
        var seen = $"Page: {page.Url} (document: {said}).";
        return Contexts.TryGetValue(page.Context, out var watched)
            ? $"{seen} Failed requests: {(watched.Failed.IsEmpty ? "none" : string.Join("; ", watched.Failed))}. Server warnings: {watched.ServerLog.Summary()}"
            : seen;
    }

    // A link's sheet stays null until its stylesheet has loaded and been parsed; one that failed gets an empty sheet (and is among the failed requests).
    private const string UnstyledSheets = "[...document.querySelectorAll('link[rel=stylesheet]')].filter(l => l.sheet === null).length";

    /// <summary>
    /// Evaluates <paramref name="expression"/> in the page with a bound: an evaluation can wait without
    /// end on a page that never became ready. No answer in 5 s, or an error, gives the default.
    /// </summary>
    private static async Task<T?> AskAsync<T>(IPage page, string expression)
    {
        var answer = page.EvaluateAsync<T>(expression);
        return await Task.WhenAny(answer, Task.Delay(5_000)) == answer && answer.IsCompletedSuccessfully ? answer.Result : default;
    }

    private static Task ArriveAsync(IPage page, string failure, Func<Task> navigate, string marker = ContentMarker) =>
        ExplainedAsync(page, failure, async () =>
        {
            await navigate();
            await page.Locator(marker).WaitForAsync(new() { State = WaitForSelectorState.Attached });
        });

    /// <summary>Runs <paramref name="wait"/>; a timeout fails with <paramref name="failure"/> and what the page and the server say.</summary>
    private static async Task ExplainedAsync(IPage page, string failure, Func<Task> wait)
    {
        try
        {
            await wait();
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{failure}. {await SeenAsync(page)}", e);
        }
    }

    private sealed class Watched(RecentLog serverLog)
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Failed { get; } = new();

        public RecentLog ServerLog { get; } = serverLog;
    }
}
