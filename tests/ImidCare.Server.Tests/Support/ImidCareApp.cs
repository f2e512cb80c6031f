using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ImidCare.Server.Hosting;
using ImidCare.Store;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace ImidCare.Server.Tests.Support;

/// <summary>
/// The real server on Kestrel (real HTTP over loopback) with the demo data, on a fresh database of
/// the given provider, and a clock the tests set.
/// </summary>
public class ImidCareApp : IAsyncLifetime
{
    // A Tuesday in New York, mid-morning, well away from DST changes unless a test moves it.
    public static readonly Instant Start = Instant.FromUtc(2026, 11, 17, 15, 0);

    private readonly StorageProvider provider;
    private WebApplicationFactory<Program>? factory;
    private TestDatabase? database;

    public ImidCareApp(StorageProvider provider) => this.provider = provider;

    /// <summary>Rate limits generous enough for a test suite hammering one address; <see cref="HardeningTests"/> sets tight ones.</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["ImidCare:RateLimit:PerCallerPerSecond"] = "100000",
        ["ImidCare:RateLimit:LoginPerMinute"] = "100000",

        // The reminder job's loop stays off so other tests see only their own writes; reminder tests run it by hand.
        ["ImidCare:Reminders:Enabled"] = "false",

        // Likewise the purge of expired idempotency answers: IdempotencyAndConcurrencyTests runs it by hand, IdempotencyPurgeServiceTests on its loop.
        ["ImidCare:Idempotency:PurgeEnabled"] = "false",
    };

    public SettableClock Clock { get; } = new(Start);

    public StorageOptions Storage => database!.Options;

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => factory!.Services;

    public async ValueTask InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(provider);
        var storage = database.Options;
        factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("ImidCare:Storage:Provider", storage.Provider.ToString());
            b.UseSetting("ConnectionStrings:ImidCare", storage.ConnectionString);
            b.UseSetting("ImidCare:Demo", "true");
            b.UseSetting("urls", "http://127.0.0.1:0");
            foreach (var (key, value) in Settings)
            {
                b.UseSetting(key, value);
            }

            b.ConfigureTestServices(s => s.AddSingleton<IClock>(Clock));
        });
        factory.UseKestrel();
        factory.StartServer();
        BaseAddress = factory.ClientOptions.BaseAddress;
    }

    public HttpClient Client(string? bearer = null, string? apiKey = null)
    {
        var c = factory!.CreateClient();
        if (bearer is not null)
        {
            c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (apiKey is not null)
        {
            c.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return c;
    }

    public async Task<HttpClient> LoginAsync(string username, string password)
    {
        using var anon = Client();
        var r = await anon.PostAsJsonAsync("/api/v1/session", new { username, password });
        r.EnsureSuccessStatusCode();
        var token = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        return Client(bearer: token);
    }

    /// <summary>A browser-like client: cookies kept, redirects not followed (so a refusal's redirect is seen).</summary>
    /// (A plain handler over the real Kestrel socket: the factory's client options do not reach a Kestrel-hosted client.)
    public HttpClient WebClient() => new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = BaseAddress };

    /// <summary>Logs in through the login page (antiforgery token and all), as a browser does.</summary>
    public async Task<HttpClient> WebLoginAsync(string username, string password)
    {
        var c = WebClient();
        var form = await c.GetStringAsync("/login");
        var token = System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        using var r = await c.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Username"] = username, ["Password"] = password, ["__RequestVerificationToken"] = token,
        }));
        if ((int)r.StatusCode != 302 || r.Headers.Location?.ToString().Contains("login", StringComparison.Ordinal) == true)
        {
            var body = await r.Content.ReadAsStringAsync();
            var error = System.Text.RegularExpressions.Regex.Matches(body, "field-validation-error[^>]*>([^<]*)<").Select(m => m.Groups[1].Value);
            throw new InvalidOperationException($"Web login of {username} failed: {(int)r.StatusCode} {string.Join("; ", error)} token={token.Length}");
        }

        return c;
    }

    public Task<HttpClient> AdminAsync() => LoginAsync("admin", "demo-admin-2026");

    public Task<HttpClient> ParkAsync() => LoginAsync("dr.park", "demo-park-2026");

    public HttpClient Pharmacy() => Client(apiKey: DemoSeed.PharmacyKey);

    public async Task<ImidCareDb> DbAsync() => await Services.GetRequiredService<IDbContextFactory<ImidCareDb>>().CreateDbContextAsync();

    public virtual async ValueTask DisposeAsync()
    {
        if (factory is not null)
        {
            await factory.DisposeAsync();
        }

        if (database is not null)
        {
            await database.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

public class SqliteApp() : ImidCareApp(StorageProvider.Sqlite);

public sealed class PostgresApp() : ImidCareApp(StorageProvider.Postgres);
