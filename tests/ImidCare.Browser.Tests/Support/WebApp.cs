using ImidCare.Store;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using NodaTime;

namespace ImidCare.Browser.Tests.Support;

/// <summary>A clock the tests set (NodaTime.Testing does not restore here).</summary>
public sealed class SettableClock(Instant start) : NodaTime.IClock
{
    private long ticks = start.ToUnixTimeTicks();

    public Instant Now
    {
        get => Instant.FromUnixTimeTicks(Interlocked.Read(ref ticks));
        set => Interlocked.Exchange(ref ticks, value.ToUnixTimeTicks());
    }

    public Instant GetCurrentInstant() => Now;
}

/// <summary>
/// The real server on Kestrel with the demo data on a fresh SQLite file and a settable clock, and
/// Debian's Chromium driven by Playwright (no browser download: /usr/bin/chromium).
/// </summary>
public sealed class WebApp : IAsyncLifetime
{
    // A Tuesday in New York, 10:00 local.
    public static readonly Instant Start = Instant.FromUtc(2026, 11, 17, 15, 0);

    private WebApplicationFactory<ImidCare.Server.Program>? factory;
    private string? dir;
    private IPlaywright? playwright;

    public SettableClock Clock { get; } = new(Start);

    /// <summary>The server's warnings and errors, kept so that a failed page wait can say what the server saw.</summary>
    public RecentLog ServerLog { get; } = new();

    public string BaseUrl { get; private set; } = string.Empty;

    public IBrowser Browser { get; private set; } = null!;

    public IServiceProvider Services => factory!.Services;

    public static string RepoRoot
    {
        get
        {
            var d = new DirectoryInfo(AppContext.BaseDirectory);
            while (d is not null && !File.Exists(Path.Combine(d.FullName, "ImidCare.slnx")))
            {
                d = d.Parent;
            }

            return d?.FullName ?? throw new InvalidOperationException("Repository root not found.");
        }
    }

    public async ValueTask InitializeAsync()
    {
        dir = Directory.CreateTempSubdirectory("imidcare-web-").FullName;
        var storage = StorageOptions.DefaultSqlite(Path.Combine(dir, "imidcare.db"));
        factory = new WebApplicationFactory<ImidCare.Server.Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("ImidCare:Storage:Provider", "Sqlite");
            b.UseSetting("ConnectionStrings:ImidCare", storage.ConnectionString);
            b.UseSetting("ImidCare:Demo", "true");
            b.UseSetting("urls", "http://127.0.0.1:0");
            b.UseSetting("ImidCare:Reminders:Enabled", "false"); // the demo seed fills the inboxes; a background run would race the clock the tests set
            b.UseSetting("ImidCare:RateLimit:LoginPerMinute", "10000"); // every test logs in; the limit itself is the API tests' concern
            b.ConfigureTestServices(s => s.AddSingleton<NodaTime.IClock>(Clock));
            b.ConfigureLogging(l => l.AddProvider(ServerLog));
        });
        factory.UseKestrel();
        factory.StartServer();
        BaseUrl = factory.ClientOptions.BaseAddress.ToString().TrimEnd('/');
        // Expect(...) waits 5 s by default: too little for a first page on CI's shared two cores (see ActionTimeoutMs).
        Assertions.SetDefaultExpectTimeout(30_000);
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task<ImidCareDb> DbAsync() => await Services.GetRequiredService<IDbContextFactory<ImidCareDb>>().CreateDbContextAsync();

    /// <summary>
    /// How long a page action or navigation may take. CI runs this suite beside the server tests on
    /// two cores, and a first page (cold JIT, cold EF queries) has been seen to pass Playwright's
    /// 30 s there; a page that never comes still fails, a minute and a half later.
    /// </summary>
    public const float ActionTimeoutMs = 90_000;

    /// <summary>A fresh browser context (its own cookies) on this server, with <see cref="ActionTimeoutMs"/>.</summary>
    public async Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions? options = null)
    {
        options ??= new();
        options.BaseURL = BaseUrl;
        var context = await Browser.NewContextAsync(options);
        context.SetDefaultTimeout(ActionTimeoutMs);
        context.SetDefaultNavigationTimeout(ActionTimeoutMs);
        PageWaits.Watch(context, ServerLog);
        return context;
    }

    /// <summary>A fresh browser context (its own cookies), logged in as the given user.</summary>
    public async Task<IPage> LoginAsync(string username, string password, int width = 1200)
    {
        var context = await NewContextAsync(new() { ViewportSize = new() { Width = width, Height = 900 } });
        var page = await context.NewPageAsync();
        await page.OpenAsync("/login");
        await page.GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        // Committed away from /login, then the start page's content (PageWaits says why not "load").
        await page.WaitForPageAsync(u => !u.Contains("/login", StringComparison.Ordinal), $"{username}'s login did not reach a start page");
        if (!page.Url.StartsWith(BaseUrl, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{username}'s login ended on a browser error page, not the server's. {await PageWaits.SeenAsync(page)}");
        }

        return page;
    }

    /// <summary>axe-core from the npm registry (./test.sh fetches it into artifacts/axe-core).</summary>
    public static string AxeScript
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("IMIDCARE_AXE") is { Length: > 0 } env ? env : Path.Combine(RepoRoot, "artifacts", "axe-core", "axe.min.js");
            return File.Exists(path) ? path : throw new InvalidOperationException($"axe-core not found at {path}: run ./test.sh, which fetches it from the npm registry.");
        }
    }

    /// <summary>Runs axe-core (WCAG 2 A and AA rules) on the page; returns each violation as "rule: targets".</summary>
    public static async Task<IReadOnlyList<string>> AxeViolationsAsync(IPage page)
    {
        await page.StyledAsync(); // the contrast rules read the styled page
        // Through DevTools evaluation rather than a <script> tag: the app's Content-Security-Policy
        // (script-src 'self') rightly refuses injected inline scripts, and it stays on in the tests.
        await page.EvaluateAsync("() => {\n" + await File.ReadAllTextAsync(AxeScript) + "\n}");
        return await page.EvaluateAsync<string[]>(
            """
            async () => {
              const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
              return r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', '));
            }
            """);
    }

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(RepoRoot, "docs", "screenshots");
        Directory.CreateDirectory(folder);
        await page.StyledAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
        if (factory is not null)
        {
            await factory.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        if (dir is not null)
        {
            try
            {
                Directory.Delete(dir, true);
            }
            catch (IOException)
            {
                // A file still held open only leaves a temp folder behind.
            }
        }
    }
}

/// <summary>The last warnings and errors the server logged (a bounded queue), for failure messages.</summary>
public sealed class RecentLog : ILoggerProvider
{
    private const int Keep = 20;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> entries = new();

    public ILogger CreateLogger(string categoryName) => new Sink(this, categoryName);

    public string Summary() => entries.IsEmpty ? "none" : string.Join(" | ", entries);

    public void Dispose()
    {
    }

    private void Add(string entry)
    {
        entries.Enqueue(entry);
        while (entries.Count > Keep && entries.TryDequeue(out _))
        {
        }
    }

    private sealed class Sink(RecentLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : $" ({exception.GetType().Name}: {exception.Message})")}");
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<WebApp>
{
    public const string Name = "web";
}
