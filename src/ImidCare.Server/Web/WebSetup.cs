using System.Security.Claims;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using NodaTime;

namespace ImidCare.Server.Web;

/// <summary>
/// The web application for people: Razor Pages with a login cookie. The cookie carries the same
/// session token the API's password login issues, so the lockout, the session lifetime and logout
/// are one mechanism; API clients keep using X-Api-Key and Bearer through the "ImidCare" scheme.
/// </summary>
public static class WebSetup
{
    public const string CookieScheme = "ImidCareWeb";
    public const string PolicyScheme = "ImidCareAny";
    public const string SessionClaim = "session";

    /// <summary>Named like the hardening's per-caller rate-limit key expects (".ImidCare…").</summary>
    public const string CookieName = ".ImidCare.Web";

    public static class Policies
    {
        public const string Prescriber = "web-prescriber";
        public const string Pharmacy = "web-pharmacy";
        public const string Staff = "web-staff";
        public const string Patient = "web-patient";

        /// <summary>Who the API lets report a pregnancy or an adverse event (a pharmacy may not: it cannot see the patient).</summary>
        public const string Reporter = "web-reporter";
    }

    public static IServiceCollection AddImidCareWeb(this IServiceCollection services)
    {
        services.AddSingleton<PdfPrinter>();
        services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/Office", Policies.Prescriber);
            o.Conventions.AuthorizeFolder("/Pharmacy", Policies.Pharmacy);
            o.Conventions.AuthorizeFolder("/Admin", Policies.Staff);
            o.Conventions.AuthorizeFolder("/Me", Policies.Patient);
            o.Conventions.AuthorizeFolder("/Report", Policies.Reporter);
            o.Conventions.AllowAnonymousToPage("/Login");

            // The web login is limited like the API's (per address, ImidCare:RateLimit:LoginPerMinute).
            o.Conventions.AddPageApplicationModelConvention("/Login", m => m.EndpointMetadata.Add(new EnableRateLimitingAttribute(Hosting.Hardening.LoginPolicy)));
            o.Conventions.AllowAnonymousToPage("/Denied");
            o.Conventions.AllowAnonymousToPage("/Index");
            o.Conventions.AllowAnonymousToFolder("/Learn");
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Prescriber, p => p.RequireRole(Roles.Prescriber))
            .AddPolicy(Policies.Pharmacy, p => p.RequireRole(Roles.Pharmacist))
            .AddPolicy(Policies.Staff, p => p.RequireRole(Roles.Admin, Roles.Safety))
            .AddPolicy(Policies.Patient, p => p.RequireRole(Roles.Patient, Roles.Caregiver))
            .AddPolicy(Policies.Reporter, p => p.RequireRole(Roles.Patient, Roles.Caregiver, Roles.Prescriber, Roles.Admin, Roles.Safety));

        // The API's scheme stays for API clients; browsers (no API credential, asking for HTML) get the cookie.
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = PolicyScheme;
                o.DefaultChallengeScheme = PolicyScheme;
                o.DefaultForbidScheme = PolicyScheme;
            })
            .AddPolicyScheme(PolicyScheme, "API credential or web cookie", o => o.ForwardDefaultSelector = SelectScheme)
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.LoginPath = "/login";
                o.LogoutPath = "/logout";
                o.AccessDeniedPath = "/denied";
                // The cookie lives as long as the session row it carries (SessionEndpoints.SessionLifetime), defined once there.
                o.ExpireTimeSpan = ImidCare.Server.Rems.SessionEndpoints.SessionLifetime.ToTimeSpan();
                o.SlidingExpiration = false;
                o.Events.OnValidatePrincipal = ValidateSessionAsync;
            });
        return services;
    }

    public static WebApplication UseImidCareWeb(this WebApplication app)
    {
        app.MapGet("/static/{file}", (string file, IWebHostEnvironment env) =>
        {
            var info = env.WebRootFileProvider.GetFileInfo(file);
            if (!info.Exists || file.Contains("..", StringComparison.Ordinal))
            {
                return Results.NotFound();
            }

            var type = Path.GetExtension(file) switch { ".css" => "text/css", ".js" => "text/javascript", ".svg" => "image/svg+xml", _ => "application/octet-stream" };
            return Results.File(info.CreateReadStream(), type);
        }).AllowAnonymous().ExcludeFromDescription();
        app.MapRazorPages();
        return app;
    }

    private static string SelectScheme(HttpContext http)
    {
        var r = http.Request;
        if (r.Path.StartsWithSegments("/api") || r.Headers.ContainsKey("X-Api-Key") || r.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return ImidCareAuthHandler.SchemeName;
        }

        var html = r.Headers[HeaderNames.Accept].ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
        return html || r.Cookies.ContainsKey(CookieName) || r.HasFormContentType ? CookieScheme : ImidCareAuthHandler.SchemeName;
    }

    /// <summary>The cookie lives only as long as its session: a logout or an expired session ends it at once.</summary>
    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext ctx)
    {
        var token = ctx.Principal?.FindFirstValue(SessionClaim);
        var services = ctx.HttpContext.RequestServices;
        var caller = token is null ? null : await CallerAsync(services, token, ctx.HttpContext.RequestAborted);
        if (caller is null)
        {
            ctx.RejectPrincipal();
            await ctx.HttpContext.SignOutAsync(CookieScheme);
        }
    }

    internal static async Task<Caller?> CallerAsync(IServiceProvider services, string token, CancellationToken ct)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<ImidCareDb>>().CreateDbContextAsync(ct);
        return await ImidCareAuthHandler.SessionCallerAsync(db, Secrets.Hash(token), services.GetRequiredService<IClock>().GetCurrentInstant(), ct);
    }

    internal static ClaimsPrincipal Principal(Caller caller, string token)
    {
        var principal = caller.ToPrincipal(CookieScheme);
        ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(SessionClaim, token));
        return principal;
    }
}
