using ImidCare.Server.Infrastructure;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Rems;

public sealed record LoginRequest(string Username, string Password);

public sealed record SessionResponse(string Token, Instant ExpiresAt, string Role, string DisplayName, string? PrescriberId, string? PharmacyId, string? PatientId);

/// <summary>Password login for people. Five failures lock the account for 15 minutes.</summary>
public static class SessionEndpoints
{
    public const int MaxFailures = 5;
    public static readonly Duration LockoutFor = Duration.FromMinutes(15);
    public static readonly Duration SessionLifetime = Duration.FromHours(12);
    private static readonly PasswordHasher<UserAccount> Hasher = new();

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/session", Login).AllowAnonymous().RequireRateLimiting(Hosting.Hardening.LoginPolicy).WithSummary("Log in with a username and password; returns a bearer token.");
        api.MapDelete("/session", Logout).WithSummary("End the current session.");
        api.MapGet("/me", (HttpContext http) => Results.Json(http.Caller(), Json.Options)).WithSummary("Who the credential belongs to.");
    }

    public static string HashPassword(string password) => Hasher.HashPassword(null!, password);

    private static async Task<IResult> Login(LoginRequest req, WriteGate gate, IDbContextFactory<ImidCareDb> dbs, CancellationToken ct) => (await LoginAsync(req, gate, dbs, ct)).ToResult();

    /// <summary>The password check with its lockout, shared by the API and the web login: a <see cref="SessionResponse"/> or a problem.</summary>
    internal static async Task<Reply> LoginAsync(LoginRequest req, WriteGate gate, IDbContextFactory<ImidCareDb> dbs, CancellationToken ct)
    {
        // The password hash is checked before entering the write gate: it is deliberately slow
        // (PBKDF2), and inside the gate it would hold up every write queued behind it. Inside,
        // the result counts only if the hash is still the one checked.
        (string Hash, bool Ok)? checkedHash = null;
        await using (var read = await dbs.CreateDbContextAsync(ct))
        {
            var seen = await read.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Username == req.Username, ct);
            if (seen is not null)
            {
                checkedHash = (seen.PasswordHash, Hasher.VerifyHashedPassword(seen, seen.PasswordHash, req.Password) != PasswordVerificationResult.Failed);
            }
        }

        return await gate.RunAsync(async (db, audit, now) =>
        {
            var user = await db.Users.FirstOrDefaultAsync(u => u.Username == req.Username, ct);
            var refused = new Reply(401, new ProblemDto("https://imidcare.example/problems/login-failed", "The username or password is wrong.", 401));
            if (user is null)
            {
                return refused;
            }

            if (user.LockedUntil is { } until && until > now)
            {
                return new Reply(423, new ProblemDto("https://imidcare.example/problems/locked", "The account is locked after repeated failed logins.", 423,
                    $"Try again after {until:yyyy-MM-ddTHH:mm}Z, or ask an administrator."));
            }

            var ok = checkedHash is { } c && c.Hash == user.PasswordHash
                ? c.Ok
                : Hasher.VerifyHashedPassword(user, user.PasswordHash, req.Password) != PasswordVerificationResult.Failed;
            if (!ok)
            {
                user.FailedLogins++;
                if (user.FailedLogins >= MaxFailures)
                {
                    user.LockedUntil = now + LockoutFor;
                    user.FailedLogins = 0;
                    audit.Append(new Actor(user.Id, user.Role), "account.locked", $"user/{user.Id}", "{}");
                }

                return refused;
            }

            user.FailedLogins = 0;
            user.LockedUntil = null;
            var token = Secrets.NewToken();
            var expires = now + SessionLifetime;
            db.Sessions.Add(new SessionToken { TokenHash = Secrets.Hash(token), UserId = user.Id, ExpiresAt = expires });
            audit.Append(new Actor(user.Id, user.Role), "session.created", $"user/{user.Id}", "{}");
            return Reply.Created(new SessionResponse(token, expires, user.Role, user.DisplayName, user.PrescriberId, user.PharmacyId, user.PatientId));
        }, ct, scoped: true);
    }

    private static async Task<IResult> Logout(HttpContext http, WriteGate gate, CancellationToken ct)
    {
        var bearer = http.Request.Headers.Authorization.ToString();
        if (!bearer.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Results.NoContent();
        }

        await EndAsync(gate, http.Caller(), bearer["Bearer ".Length..].Trim(), ct);
        return Results.NoContent();
    }

    /// <summary>Ends a session (API logout and web logout alike): the token stops working at once.</summary>
    internal static async Task EndAsync(WriteGate gate, Caller caller, string token, CancellationToken ct)
    {
        var hash = Secrets.Hash(token);
        await gate.RunAsync(async (db, audit, now) =>
        {
            await db.Sessions.Where(s => s.TokenHash == hash).ExecuteDeleteAsync(ct);
            audit.Append(caller.AsActor(), "session.ended", $"user/{caller.Id}", "{}");
            return 0;
        }, ct, scoped: true);
    }
}
