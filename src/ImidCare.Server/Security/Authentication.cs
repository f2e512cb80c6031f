using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using ImidCare.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using NodaTime;

namespace ImidCare.Server.Security;

public static class Secrets
{
    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>
/// Two credentials: an organisation's API key (header X-Api-Key) and a person's session token
/// (Authorization: Bearer), issued by POST /api/v1/session after a password login. Both are stored
/// only as SHA-256 hashes.
/// </summary>
public sealed class ImidCareAuthHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IDbContextFactory<ImidCareDb> dbs,
    IClock clock,
    IMemoryCache cache) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ImidCare";

    /// <summary>
    /// How long an organisation key's identity is remembered in a node's memory. The database stays
    /// the only source (a cache is never the only copy of a fact); the cost is that a revoked key
    /// keeps working on a node for at most this long. Sessions are not cached: a logout is immediate.
    /// </summary>
    public static readonly TimeSpan ApiKeyCacheFor = TimeSpan.FromSeconds(30);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var apiKey = Request.Headers["X-Api-Key"].ToString();
        var bearer = Request.Headers.Authorization.ToString();
        if (apiKey.Length == 0 && !bearer.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        Caller? caller;
        if (apiKey.Length > 0)
        {
            var hash = Secrets.Hash(apiKey);
            if (!cache.TryGetValue(("api-key", hash), out caller))
            {
                await using var db = await dbs.CreateDbContextAsync(Context.RequestAborted);
                var client = await db.ApiClients.AsNoTracking().FirstOrDefaultAsync(c => c.KeyHash == hash, Context.RequestAborted);
                caller = client is null ? null : new Caller(client.Id, client.Role, client.Name, PharmacyId: client.PharmacyId, PracticeId: client.PracticeId);
                if (caller is not null)
                {
                    cache.Set(("api-key", hash), caller, ApiKeyCacheFor);
                }
            }
        }
        else
        {
            await using var db = await dbs.CreateDbContextAsync(Context.RequestAborted);
            caller = await SessionCallerAsync(db, Secrets.Hash(bearer["Bearer ".Length..].Trim()), clock.GetCurrentInstant(), Context.RequestAborted);
        }

        return caller is null
            ? AuthenticateResult.Fail("Unknown or expired credential.")
            : AuthenticateResult.Success(new AuthenticationTicket(caller.ToPrincipal(SchemeName), SchemeName));
    }

    /// <summary>The person behind a live session token (by its hash), or null when unknown or expired. The web cookie checks its session the same way.</summary>
    internal static async Task<Caller?> SessionCallerAsync(ImidCareDb db, string tokenHash, Instant now, CancellationToken ct)
    {
        var session = await db.Sessions.AsNoTracking().FirstOrDefaultAsync(s => s.TokenHash == tokenHash, ct);
        var user = session is null || session.ExpiresAt <= now
            ? null
            : await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == session.UserId, ct);
        string? practice = null;
        if (user?.PrescriberId is { } pid)
        {
            practice = await db.Prescribers.Where(p => p.Id == pid).Select(p => p.PracticeId).FirstOrDefaultAsync(ct);
        }

        return user is null ? null : new Caller(user.Id, user.Role, user.DisplayName, user.PrescriberId, user.PharmacyId, user.PatientId, practice);
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = "Bearer, ApiKey";
        await Results.Problem(
            title: "Authentication required.",
            detail: "Send an organisation key in X-Api-Key, or a session token from POST /api/v1/session as 'Authorization: Bearer <token>'.",
            statusCode: 401,
            type: "https://imidcare.example/problems/unauthenticated").ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 403;
        await Results.Problem(title: "You may not act on this.", statusCode: 403, type: "https://imidcare.example/problems/forbidden").ExecuteAsync(Context);
    }
}
