using System.Text.Json;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NodaTime;

namespace ImidCare.Server.Interop.CdsHooks;

/// <summary>
/// CDS Hooks 2.0 security: the request generator (the EHR) signs each request with a JWT in
/// "Authorization: Bearer". We accept it only from an EHR configured under
/// ImidCare:Interop:CdsHooks:Clients (Issuer, Name, PracticeId, and its keys as an inline Jwks or
/// a JwksUrl); a jku header is followed only when it starts with an entry of
/// ImidCare:Interop:CdsHooks:JkuAllowList. The token must be signed by one of those keys with an
/// asymmetric algorithm, name this service (the URL called, or one of
/// ImidCare:Interop:CdsHooks:Audiences) as aud, be unexpired by our clock and expire within
/// <see cref="ExpiresWithin"/> of it, carry iat and a jti not seen before from that issuer (kept in
/// the database until the token expires, so a replay to another node fails too). A valid token
/// acts as the configured practice's office: it sees that practice's patients and nothing else.
/// </summary>
public sealed class CdsJwt(IConfiguration config, IClock clock, IHttpClientFactory clients, WriteGate gate)
{
    /// <summary>How far our clock and the EHR's may disagree, allowed on every time the token states.</summary>
    internal static readonly Duration Skew = Duration.FromSeconds(60);

    /// <summary>
    /// How far ahead of our clock a token's exp may be (plus <see cref="Skew"/>, as for nbf and iat). CDS Hooks'
    /// first security text said exp "MUST be no more than five minutes in the future"; the 2.0
    /// payload table dropped the sentence but still asks for exp and a jti against replay. SMART
    /// Backend Services keeps the five minutes for its client JWT, and the MITRE request generator
    /// signs exp = iat + 300 s. A token that says it lives longer would be a bearer credential for
    /// as long as it says, and its jti would have to be kept that long to refuse its replay.
    /// </summary>
    internal static readonly Duration ExpiresWithin = Duration.FromMinutes(5);

    private static readonly string[] Algorithms =
    [
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
    ];

    /// <summary>True when the bearer looks like a JWT (three dot-separated parts), so the caller meant this scheme.</summary>
    public static bool Looks(string? bearer) => bearer is { Length: > 20 } b && b.Count(c => c == '.') == 2;

    public static string? Bearer(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    /// <summary>The caller the token stands for, or why it is refused.</summary>
    public async Task<(Caller? Caller, string? Refusal)> VerifyAsync(HttpContext http, string token, CancellationToken ct)
    {
        var handler = new JsonWebTokenHandler();
        JsonWebToken jwt;
        try
        {
            jwt = handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return (null, "The bearer token is not a JWT.");
        }

        var client = config.GetSection("ImidCare:Interop:CdsHooks:Clients").GetChildren().FirstOrDefault(c => c["Issuer"] is { Length: > 0 } i && i == jwt.Issuer);
        if (client is null)
        {
            return (null, $"The issuer '{jwt.Issuer}' is not a configured CDS Hooks client.");
        }

        var (keys, keyProblem) = await KeysAsync(client, jwt, ct);
        if (keys.Count == 0)
        {
            return (null, keyProblem ?? "No signing keys are configured for this issuer.");
        }

        var now = clock.GetCurrentInstant();
        var called = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{http.Request.Path}";
        var audiences = new List<string> { called, called.TrimEnd('/') };
        audiences.AddRange(config.GetSection("ImidCare:Interop:CdsHooks:Audiences").Get<string[]>() ?? []);
        var result = await handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuer = jwt.Issuer,
            ValidateAudience = true,
            ValidAudiences = audiences,
            IssuerSigningKeys = keys,
            ValidAlgorithms = Algorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,

            // Our clock, not the machine's: the same instant every rule sees.
            LifetimeValidator = (notBefore, expires, _, _) =>
                expires is { } exp && Instant.FromDateTimeUtc(DateTime.SpecifyKind(exp, DateTimeKind.Utc)) > now - Skew
                && (notBefore is not { } nbf || Instant.FromDateTimeUtc(DateTime.SpecifyKind(nbf, DateTimeKind.Utc)) <= now + Skew),
        });
        if (!result.IsValid)
        {
            return (null, result.Exception switch
            {
                SecurityTokenInvalidAudienceException => $"The token's audience is not this service ({called}).",
                SecurityTokenInvalidLifetimeException or SecurityTokenExpiredException or SecurityTokenNoExpirationException => "The token is expired (or has no exp).",
                SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "The token's signature does not verify with the issuer's keys.",
                SecurityTokenInvalidAlgorithmException => "The token's algorithm is not accepted (an asymmetric signature is required).",
                _ => "The token is not valid.",
            });
        }

        var expiresAt = Instant.FromDateTimeUtc(DateTime.SpecifyKind(jwt.ValidTo, DateTimeKind.Utc));
        if (expiresAt > now + ExpiresWithin + Skew)
        {
            return (null, $"The token's exp is more than {ExpiresWithin.TotalMinutes:0} minutes ahead: a CDS Hooks token must expire within {ExpiresWithin.TotalMinutes:0} minutes.");
        }

        if (!jwt.TryGetPayloadValue<long>("iat", out var iat) || Instant.FromUnixTimeSeconds(iat) > now + Skew)
        {
            return (null, "The token needs an iat that is not in the future.");
        }

        if (string.IsNullOrWhiteSpace(jwt.Id) || jwt.Id.Length > 200)
        {
            return (null, "The token needs a jti.");
        }

        if (!await FirstUseAsync(jwt.Issuer, jwt.Id, expiresAt, now, ct))
        {
            return (null, "This token (jti) was already used: CDS Hooks tokens are single-use.");
        }

        var caller = new Caller($"cds:{jwt.Issuer}", Roles.PrescriberOffice, client["Name"] ?? jwt.Issuer, PracticeId: client["PracticeId"]);
        http.User = caller.ToPrincipal("CdsHooksJwt");
        return (caller, null);
    }

    private async Task<(IList<SecurityKey> Keys, string? Problem)> KeysAsync(IConfigurationSection client, JsonWebToken jwt, CancellationToken ct)
    {
        var keys = new List<SecurityKey>();
        if (client["Jwks"] is { Length: > 0 } inline)
        {
            keys.AddRange(Parse(inline));
        }

        string? problem = null;
        var jku = jwt.TryGetHeaderValue<string>("jku", out var j) ? j : null;
        var url = jku ?? client["JwksUrl"];
        if (url is not null)
        {
            var allowed = (config.GetSection("ImidCare:Interop:CdsHooks:JkuAllowList").Get<string[]>() ?? []).Append(client["JwksUrl"]).OfType<string>();
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")
                || !allowed.Any(a => uri.AbsoluteUri.StartsWith(a, StringComparison.OrdinalIgnoreCase)))
            {
                problem = $"The jku '{url}' is not on the allow-list.";
            }
            else
            {
                var fetched = await FetchAsync(uri, ct);
                keys.AddRange(fetched);
                problem = fetched.Count == 0 ? $"No keys could be read from {uri}." : null;
            }
        }

        return (keys, problem);
    }

    private static List<SecurityKey> Parse(string jwks)
    {
        try
        {
            return [.. new JsonWebKeySet(jwks).GetSigningKeys()];
        }
        catch (Exception e) when (e is ArgumentException or JsonException or InvalidOperationException)
        {
            return [];
        }
    }

    private async Task<List<SecurityKey>> FetchAsync(Uri uri, CancellationToken ct)
    {
        try
        {
            using var http = clients.CreateClient("ehr");
            using var resp = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!resp.IsSuccessStatusCode || resp.Content.Headers.ContentLength > 100_000)
            {
                return [];
            }

            var text = await resp.Content.ReadAsStringAsync(ct);
            return text.Length > 100_000 ? [] : Parse(text);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return [];
        }
    }

    /// <summary>
    /// Records the jti; false when the issuer already used it (the primary key says so, on every
    /// node). Through the write gate, like every write: on SQLite a write from another connection
    /// would wait for the writer's lock, and, seen there as another process's commit, empty the
    /// status cache. The rows are no cache's (scoped). Both outcomes go to the audit trail: the
    /// recorded jti is a state change, and a replayed token is an attempt the safety staff should
    /// be able to find (which issuer, which jti, when).
    /// </summary>
    private async Task<bool> FirstUseAsync(string issuer, string jti, Instant expiresAt, Instant now, CancellationToken ct)
    {
        var cutoff = now - Skew;
        var actor = new Store.Audit.Actor($"cds:{issuer}", Roles.PrescriberOffice);
        try
        {
            return await gate.RunAsync(async (db, audit, _) =>
            {
                if (await db.SeenJwtIds.AnyAsync(s => s.Issuer == issuer && s.Jti == jti, ct))
                {
                    audit.Append(actor, "cds-hooks.token-replayed", $"cds-client/{issuer}", audit.Data(new { jti }));
                    return false;
                }

                await db.SeenJwtIds.Where(s => s.Issuer == issuer && s.ExpiresAt < cutoff).ExecuteDeleteAsync(ct);
                db.SeenJwtIds.Add(new SeenJwtId { Issuer = issuer, Jti = jti, ExpiresAt = expiresAt });
                audit.Append(actor, "cds-hooks.token-accepted", $"cds-client/{issuer}", audit.Data(new { jti, expiresAt }));
                return true;
            }, ct, scoped: true);
        }
        catch (DbUpdateException)
        {
            // Another node recorded it between the look and the insert.
            return false;
        }
    }
}
