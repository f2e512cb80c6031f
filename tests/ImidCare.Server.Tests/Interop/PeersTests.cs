using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using ImidCare.Server.Interop.CdsHooks;
using ImidCare.Server.Tests.Support;
using ImidCare.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests.Interop;

/// <summary>
/// The EHR on the other side, as a second Kestrel server: it receives our FHIR Communications (and
/// can be told to fail or be slow), and serves its JWKS for the CDS Hooks jku check.
/// </summary>
public sealed class EhrReceiver : IAsyncDisposable
{
    private WebApplication? app;

    public ConcurrentQueue<(Instant At, string Body, string? ContentType, int Answered)> Received { get; } = new();

    /// <summary>How many of the next deliveries to answer 503.</summary>
    public int FailNext { get; set; }

    /// <summary>While set, a delivery that arrives is held (unanswered) until the test completes it.</summary>
    public TaskCompletionSource? Hold { get; set; }

    public int Arrived => arrived;

    private int arrived;

    public string Jwks { get; set; } = "{\"keys\":[]}";

    public Uri Base { get; private set; } = null!;

    public static async Task<EhrReceiver> StartAsync()
    {
        var r = new EhrReceiver();
        var b = WebApplication.CreateSlimBuilder();
        b.WebHost.UseUrls("http://127.0.0.1:0");
        b.Logging.ClearProviders();
        r.app = b.Build();
        r.app.MapPost("/fhir/Communication", async (HttpContext h) =>
        {
            var body = await new StreamReader(h.Request.Body).ReadToEndAsync();
            Interlocked.Increment(ref r.arrived);
            if (r.Hold is { } hold)
            {
                await hold.Task.WaitAsync(TimeSpan.FromSeconds(10));
            }

            var status = r.FailNext > 0 ? 503 : 201;
            if (status == 503)
            {
                r.FailNext--;
            }

            r.Received.Enqueue((SystemClock.Instance.GetCurrentInstant(), body, h.Request.ContentType, status));
            return Results.StatusCode(status);
        });
        r.app.MapGet("/jwks.json", () => Results.Content(r.Jwks, "application/json"));
        await r.app.StartAsync();
        r.Base = new Uri(r.app.Urls.First().TrimEnd('/') + "/");
        return r;
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }
}

/// <summary>ImidCare configured with an EHR: denial notices go to the receiver; CDS Hooks JWTs from two EHR issuers are trusted.</summary>
public class PeersApp(StorageProvider provider) : ImidCareApp(provider), IAsyncLifetime
{
    public const string Issuer = "https://ehr.example/request-generator";
    public const string JkuIssuer = "https://jku-ehr.example";

    public EhrReceiver Ehr { get; private set; } = null!;

    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP384);

    public ECDsa JkuKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP384);

    public static string JwksOf(ECDsa key, string kid)
    {
        var p = key.ExportParameters(false);
        return JsonSerializer.Serialize(new
        {
            keys = new[] { new { kty = "EC", crv = "P-384", kid, use = "sig", alg = "ES384", x = Base64UrlEncoder.Encode(p.Q.X), y = Base64UrlEncoder.Encode(p.Q.Y) } },
        });
    }

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["ImidCare:Interop:EhrFhirBaseUrl"] = new Uri(Ehr.Base, "fhir").AbsoluteUri,
        ["ImidCare:Interop:CdsHooks:Clients:0:Issuer"] = Issuer,
        ["ImidCare:Interop:CdsHooks:Clients:0:Name"] = "Riverside EHR",
        ["ImidCare:Interop:CdsHooks:Clients:0:PracticeId"] = "riverside",
        ["ImidCare:Interop:CdsHooks:Clients:0:Jwks"] = JwksOf(Key, "k1"),
        ["ImidCare:Interop:CdsHooks:Clients:1:Issuer"] = JkuIssuer,
        ["ImidCare:Interop:CdsHooks:Clients:1:PracticeId"] = "riverside",
        ["ImidCare:Interop:CdsHooks:JkuAllowList:0"] = Ehr.Base.AbsoluteUri,
    };

    async ValueTask IAsyncLifetime.InitializeAsync()
    {
        Ehr = await EhrReceiver.StartAsync();
        Ehr.Jwks = JwksOf(JkuKey, "jku1");
        await InitializeAsync();
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await DisposeAsync();
        await Ehr.DisposeAsync();
        Key.Dispose();
        JkuKey.Dispose();
    }
}

public sealed class SqlitePeersApp() : PeersApp(StorageProvider.Sqlite);

public sealed class PostgresPeersApp() : PeersApp(StorageProvider.Postgres);

/// <summary>Denial notices to the EHR (FHIR Communication, retried, never in the denial's way) and CDS Hooks JWT verification.</summary>
public abstract class PeersTests(PeersApp app)
{
    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20), what);
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Denial_PostsACommunicationToTheEhr_RetriedAfterAFailure_WithoutHoldingUpTheDenial()
    {
        app.Clock.Now = ImidCareApp.Start;
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Ehr.Hold = hold;
        app.Ehr.FailNext = 1;
        var before = app.Ehr.Received.Count;
        var arrivedBefore = app.Ehr.Arrived;
        using var pharmacy = Peer.Pharmacy(app);
        var r = await pharmacy.XmlPostAsync(NcpdpTests.Request("enr_pat_demo_maria"));
        Peer.Pims(r.Raw, "message.body.remsresponse.response.responsestatus.denied.deniedreasoncode").ShouldBe("EC", r.Raw);
        app.Ehr.Received.Count.ShouldBe(before, "the denial was answered while the EHR had answered nothing");

        // First delivery: the EHR holds it, then fails; the notice waits for its retry (2 s by our clock).
        await Until(() => Task.FromResult(app.Ehr.Arrived > arrivedBefore), "the notice reaching the EHR");
        app.Ehr.Hold = null;
        hold.SetResult();
        await Until(async () =>
        {
            await using var db = await app.DbAsync();
            return await db.Audit.AnyAsync(a => a.Action == "interop.notification-retry" && a.Subject == "patient/pat_demo_maria");
        }, "a failed first attempt");
        app.Clock.Now += Duration.FromSeconds(3);
        await Until(async () =>
        {
            await using var db = await app.DbAsync();
            return await db.Outbox.AnyAsync(m => m.State == "delivered" && m.Subject == "patient/pat_demo_maria");
        }, "delivery on retry");

        var deliveries = app.Ehr.Received.Skip(before).ToList();
        deliveries.Select(d => d.Answered).ShouldBe([503, 201]);
        deliveries[1].Body.ShouldBe(deliveries[0].Body); // the same notice, with the same identifier, is retried
        deliveries[1].ContentType!.ShouldStartWith("application/fhir+json");
        var c = JsonDocument.Parse(deliveries[1].Body).RootElement;
        c.GetProperty("resourceType").GetString().ShouldBe("Communication");
        c.GetProperty("subject").GetProperty("reference").GetString().ShouldBe("Patient/pat-demo-maria");
        c.GetProperty("recipient")[0].GetProperty("reference").GetString().ShouldBe("Practitioner/prs-demo-park");
        c.GetProperty("payload")[0].GetProperty("contentString").GetString()!.ShouldContain("REMS.AUTHORIZATION_MISSING");
        await SchemaValidator.AllValidAsync([new Doc("Communication", "fhir", c)]);

        await using var check = await app.DbAsync();
        var trail = await check.Audit.Where(a => a.Subject == "patient/pat_demo_maria" && a.Action.StartsWith("interop.notification")).OrderBy(a => a.Seq).Select(a => a.Action).ToListAsync();
        trail.TakeLast(3).ShouldBe(["interop.notification-queued", "interop.notification-retry", "interop.notification-delivered"]);
    }

    private string Token(string? audience = null, Duration? age = null, ECDsa? key = null, string? jti = null, string issuer = PeersApp.Issuer, string kid = "k1", string? jku = null, Duration? lifetime = null)
    {
        var iat = app.Clock.Now - (age ?? Duration.Zero);
        var d = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience ?? new Uri(app.BaseAddress, "cds-services/rems-order-sign").AbsoluteUri,
            IssuedAt = iat.ToDateTimeUtc(),
            NotBefore = iat.ToDateTimeUtc(),
            Expires = (iat + (lifetime ?? Duration.FromMinutes(5))).ToDateTimeUtc(),
            Claims = new Dictionary<string, object> { ["jti"] = jti ?? Guid.NewGuid().ToString() },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key ?? app.Key) { KeyId = kid }, SecurityAlgorithms.EcdsaSha384),
        };
        if (jku is not null)
        {
            d.AdditionalHeaderClaims = new Dictionary<string, object> { ["jku"] = jku };
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(d);
    }

    private async Task<ApiResult> HookAsync(string token)
    {
        using var c = app.Client(bearer: token);
        return await CdsHooksTests.OrderSignAsync(c);
    }

    [Fact]
    public async Task SignedJwt_FromAConfiguredEhr_GetsCards_ForItsPractice()
    {
        app.Clock.Now = ImidCareApp.Start;
        var r = await HookAsync(Token());
        r.Code.ShouldBe(200, r.ToString());
        r.Body.GetProperty("cards").GetArrayLength().ShouldBeGreaterThan(0);
        r.Raw.ShouldContain("enr_pat_demo_maria"); // Maria is Riverside's patient: the token acts for that practice
    }

    [Fact]
    public async Task SignedJwt_KeysFromAnAllowListedJku_Verify()
    {
        app.Clock.Now = ImidCareApp.Start;
        var ok = await HookAsync(Token(key: app.JkuKey, issuer: PeersApp.JkuIssuer, kid: "jku1", jku: new Uri(app.Ehr.Base, "jwks.json").AbsoluteUri));
        ok.Code.ShouldBe(200, ok.ToString());
        var elsewhere = await HookAsync(Token(key: app.JkuKey, issuer: PeersApp.JkuIssuer, kid: "jku1", jku: "https://attacker.example/jwks.json"));
        elsewhere.Code.ShouldBe(401, elsewhere.ToString());
        elsewhere.Raw.ShouldContain("allow-list");
    }

    [Fact]
    public async Task SignedJwt_Expired_IsRefused()
    {
        app.Clock.Now = ImidCareApp.Start;
        var r = await HookAsync(Token(age: Duration.FromMinutes(10)));
        r.Code.ShouldBe(401, r.ToString());
        r.Raw.ShouldContain("expired");
    }

    /// <summary>
    /// CDS Hooks: exp no more than five minutes in the future, which we read as our clock's now plus
    /// the same 60 s skew allowed on nbf and iat. Exactly at that edge the token is accepted; a
    /// second further (exp is whole seconds) it is refused, before its jti is stored.
    /// </summary>
    [Fact]
    public async Task SignedJwt_ExpiringMoreThanFiveMinutesAhead_IsRefused_AndOneExactlyAtTheCapIsAccepted()
    {
        app.Clock.Now = ImidCareApp.Start;
        var cap = CdsJwt.ExpiresWithin + CdsJwt.Skew;
        var atCap = await HookAsync(Token(lifetime: cap));
        atCap.Code.ShouldBe(200, atCap.ToString());

        var jti = Guid.NewGuid().ToString();
        var beyond = await HookAsync(Token(lifetime: cap + Duration.FromSeconds(1), jti: jti));
        beyond.Code.ShouldBe(401, beyond.ToString());
        beyond.Raw.ShouldContain("more than 5 minutes ahead");

        // A year-long token, the case the cap is for, is refused the same way.
        (await HookAsync(Token(lifetime: Duration.FromDays(365)))).Raw.ShouldContain("more than 5 minutes ahead");
        await using var db = await app.DbAsync();
        (await db.SeenJwtIds.AnyAsync(s => s.Jti == jti)).ShouldBeFalse();
    }

    [Fact]
    public async Task SignedJwt_ForAnotherAudience_IsRefused()
    {
        app.Clock.Now = ImidCareApp.Start;
        var r = await HookAsync(Token(audience: "https://some-other-cds.example/cds-services/rems-order-sign"));
        r.Code.ShouldBe(401, r.ToString());
        r.Raw.ShouldContain("audience");
    }

    [Fact]
    public async Task SignedJwt_WithABadSignature_IsRefused()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var impostor = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var r = await HookAsync(Token(key: impostor));
        r.Code.ShouldBe(401, r.ToString());
        r.Raw.ShouldContain("signature");

        // A token tampered after signing fails the same way.
        var parts = Token().Split('.');
        var forged = parts[0] + "." + Base64UrlEncoder.Encode(Base64UrlEncoder.Decode(parts[1]).Replace("\"jti\":\"", "\"jti\":\"x", StringComparison.Ordinal)) + "." + parts[2];
        (await HookAsync(forged)).Code.ShouldBe(401);
    }

    [Fact]
    public async Task SignedJwt_Replayed_IsRefused()
    {
        app.Clock.Now = ImidCareApp.Start;
        var jti = Guid.NewGuid().ToString();
        var token = Token(jti: jti);
        (await HookAsync(token)).Code.ShouldBe(200);
        var again = await HookAsync(token);
        again.Code.ShouldBe(401, again.ToString());
        again.Raw.ShouldContain("already used");

        // Both the use and the replay are in the audit trail, under the issuer, with the jti.
        await using var db = await app.DbAsync();
        var records = await db.Audit.AsNoTracking().Where(r => r.Subject == $"cds-client/{PeersApp.Issuer}" && r.DataJson.Contains(jti)).OrderBy(r => r.Seq).ToListAsync();
        records.Select(r => r.Action).ShouldBe(["cds-hooks.token-accepted", "cds-hooks.token-replayed"]);
        records.ShouldAllBe(r => r.Actor == $"cds:{PeersApp.Issuer}");
    }

    [Fact]
    public async Task TheOfficeKeyAsBearer_StillWorks_AndAnUnknownIssuerDoesNot()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var office = Peer.Office(app);
        (await CdsHooksTests.OrderSignAsync(office)).Code.ShouldBe(200);
        var stranger = await HookAsync(Token(issuer: "https://stranger.example"));
        stranger.Code.ShouldBe(401, stranger.ToString());
        stranger.Raw.ShouldContain("not a configured");
    }
}

public sealed class SqlitePeersTests(SqlitePeersApp app) : PeersTests(app), IClassFixture<SqlitePeersApp>;

public sealed class PostgresPeersTests(PostgresPeersApp app) : PeersTests(app), IClassFixture<PostgresPeersApp>;
