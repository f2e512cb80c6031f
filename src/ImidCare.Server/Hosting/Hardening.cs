using System.Globalization;
using System.Threading.RateLimiting;
using ImidCare.Server.Security;
using Microsoft.AspNetCore.RateLimiting;

namespace ImidCare.Server.Hosting;

/// <summary>
/// Per-caller rate limits (ASP.NET Core's built-in limiter) and security headers. A caller is its
/// credential (API key or session token, hashed) or, when anonymous, its address: one busy or
/// hostile caller cannot starve the pharmacies at the counter.
/// </summary>
public static class Hardening
{
    public const string LoginPolicy = "login";

    private static bool WantsPage(HttpRequest request) =>
        !request.Path.StartsWithSegments("/api") && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    public static void AddImidCareHardening(this IServiceCollection services, IConfiguration config)
    {
        var perSecond = config.GetValue("ImidCare:RateLimit:PerCallerPerSecond", 300);
        var loginPerMinute = config.GetValue("ImidCare:RateLimit:LoginPerMinute", 20);
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (ctx, ct) =>
            {
                if (ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry))
                {
                    ctx.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }

                // A person at the login page reads a page, not a problem document meant for programs.
                if (WantsPage(ctx.HttpContext.Request))
                {
                    var wait = retry == default ? "a minute" : $"{(int)Math.Ceiling(retry.TotalSeconds)} seconds";
                    ctx.HttpContext.Response.ContentType = "text/html; charset=utf-8";
                    await ctx.HttpContext.Response.WriteAsync(
                        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                        + "<title>Too many sign-in attempts - ImidCare</title><link rel=\"stylesheet\" href=\"/site.css\"></head><body><main id=\"main\">"
                        + "<h1>Too many sign-in attempts</h1>"
                        + $"<p>Too many sign-ins were tried from this network in the last minute. Please wait {wait} and <a href=\"/login\">try again</a>.</p>"
                        + "</main></body></html>", ct);
                    return;
                }

                await Results.Problem(title: "Too many requests.", detail: "Slow down and retry after the time in Retry-After.", statusCode: 429,
                    type: "https://imidcare.example/problems/rate-limited").ExecuteAsync(ctx.HttpContext);
            };
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http => RateLimitPartition.GetTokenBucketLimiter(CallerKey(http), _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = perSecond * 2,
                TokensPerPeriod = perSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
            // Only attempts count: opening the login page is not one, or each sign-in would use two.
            o.AddPolicy(LoginPolicy, http => HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)
                ? RateLimitPartition.GetNoLimiter("page")
                : RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = loginPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
        });
    }

    /// <summary>The credential (hashed, never logged) or the remote address.</summary>
    private static string CallerKey(HttpContext http)
    {
        var key = http.Request.Headers["X-Api-Key"].ToString();
        if (key.Length == 0)
        {
            key = http.Request.Headers.Authorization.ToString();
        }

        if (key.Length == 0)
        {
            key = http.Request.Cookies.FirstOrDefault(c => c.Key.StartsWith(".ImidCare", StringComparison.Ordinal)).Value ?? string.Empty;
        }

        return key.Length > 0 ? "k:" + Secrets.Hash(key) : "ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }

    public static void UseImidCareHardening(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            var h = http.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "no-referrer";
            h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            h["Cross-Origin-Opener-Policy"] = "same-origin";

            // Pages are server-rendered with no inline script; styles may be inline in printable documents.
            h.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
            if (http.Request.IsHttps)
            {
                h.StrictTransportSecurity = "max-age=31536000";
            }

            // Answers about patients are never cached by browsers or proxies.
            if (http.Request.Path.StartsWithSegments("/api"))
            {
                h.CacheControl = "no-store";
            }

            await next();
        });
        app.UseRateLimiter();
    }
}
