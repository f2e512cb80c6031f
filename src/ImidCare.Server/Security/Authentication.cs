using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
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
/// Organisation keys found in the database in the last <see cref="For"/>, by the key as sent, with
/// the caller it stands for. A pharmacy system sends its key on every status check; hashing it
/// (SHA-256 through OpenSSL), a cache keyed by the hash, and a principal of fresh claims for every
/// request were a tenth of a cached status check's server time (docs/benchmarks.md, session 14).
/// The database stays the only source (a cache is never the only copy of a fact): the cost is
/// that a revoked key keeps working on a node for at most <see cref="For"/>. Only keys the
/// database knew are kept, so what a caller can add is bounded by the keys issued; the key is kept
/// in this process's memory, where every request carrying it already is, and nowhere else.
/// </summary>
public sealed class ApiKeyCallers(IClock clock)
{
    /// <summary>How long an organisation key's identity is remembered in a node's memory.</summary>
    public static readonly Duration For = Duration.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (CallerPrincipal Principal, Instant Until)> known = new(StringComparer.Ordinal);

    public bool TryGet(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CallerPrincipal? principal)
    {
        if (known.TryGetValue(key, out var entry))
        {
            if (clock.GetCurrentInstant() < entry.Until)
            {
                principal = entry.Principal;
                return true;
            }

            known.TryRemove(KeyValuePair.Create(key, entry));
        }

        principal = null;
        return false;
    }

    public CallerPrincipal Remember(string key, Caller caller)
    {
        var principal = new CallerPrincipal(caller, ImidCareAuthHandler.SchemeName);
        known[key] = (principal, clock.GetCurrentInstant() + For);
        return principal;
    }

    /// <summary>
    /// The caller an organisation key stands for: remembered, or looked up by its hash and then
    /// remembered; null for a key the database does not know. Every place that accepts a key
    /// (X-Api-Key, and a key sent as Bearer on the interop routes) comes here, so a revoked key
    /// stops working everywhere within the same <see cref="For"/>.
    /// </summary>
    public async Task<CallerPrincipal?> FindAsync(IDbContextFactory<ImidCareDb> dbs, string key, CancellationToken ct)
    {
        if (TryGet(key, out var known))
        {
            return known;
        }

        var hash = Secrets.Hash(key);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var client = await db.ApiClients.AsNoTracking().FirstOrDefaultAsync(c => c.KeyHash == hash, ct);
        return client is null ? null : Remember(key, KeyCaller(client));
    }

    /// <summary>The caller an organisation key stands for.</summary>
    internal static Caller KeyCaller(ApiClient client) => new(client.Id, client.Role, client.Name, PharmacyId: client.PharmacyId, PracticeId: client.PracticeId);
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
    ApiKeyCallers keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ImidCare";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var apiKey = Request.Headers["X-Api-Key"].ToString();
        var bearer = Request.Headers.Authorization.ToString();
        if (apiKey.Length == 0 && !bearer.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        ClaimsPrincipal? principal;
        if (apiKey.Length > 0)
        {
            principal = await keys.FindAsync(dbs, apiKey, Context.RequestAborted);
        }
        else
        {
            await using var db = await dbs.CreateDbContextAsync(Context.RequestAborted);
            var caller = await SessionCallerAsync(db, Secrets.Hash(bearer["Bearer ".Length..].Trim()), clock.GetCurrentInstant(), Context.RequestAborted);
            principal = caller?.ToPrincipal(SchemeName);
        }

        return principal is null
            ? AuthenticateResult.Fail("Unknown or expired credential.")
            : AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    /// <summary>The person behind a live session token (by its hash), or null when unknown or expired. The web cookie checks its session the same way.</summary>
    internal static async Task<Caller?> SessionCallerAsync(ImidCareDb db, string tokenHash, Instant now, CancellationToken ct)
    {
        var session = await db.Sessions.AsNoTracking().FirstOrDefaultAsync(s => s.TokenHash == tokenHash, ct);
        var user = session is null || session.ExpiresAt <= now
            ? null
            : await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == session.UserId, ct);
        return user is null ? null : await UserCallerAsync(db, user, ct);
    }

    /// <summary>The caller a person's account stands for now (a prescriber's practice read afresh).</summary>
    private static async Task<Caller> UserCallerAsync(ImidCareDb db, UserAccount user, CancellationToken ct)
    {
        string? practice = null;
        if (user.PrescriberId is { } pid)
        {
            practice = await db.Prescribers.Where(p => p.Id == pid).Select(p => p.PracticeId).FirstOrDefaultAsync(ct);
        }

        return new Caller(user.Id, user.Role, user.DisplayName, user.PrescriberId, user.PharmacyId, user.PatientId, practice);
    }

    /// <summary>
    /// The caller an account or organisation key id stands for as the database says now, without
    /// a credential: for something made in a caller's name that must stop when they could no longer
    /// make it (a calendar feed). Null when neither exists any more (a removed key).
    /// </summary>
    internal static async Task<Caller?> CallerByIdAsync(ImidCareDb db, string id, CancellationToken ct)
    {
        if (await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, ct) is { } user)
        {
            return await UserCallerAsync(db, user, ct);
        }

        var client = await db.ApiClients.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ct);
        return client is null ? null : ApiKeyCallers.KeyCaller(client);
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
