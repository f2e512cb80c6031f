using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImidCare.Server.Rems;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Infrastructure;

/// <summary>
/// Runs a state change through the write gate, honouring an Idempotency-Key header: the first
/// request's answer is stored in the same transaction as its effects, so a retry (even one racing
/// the original) gets that answer back and changes nothing. The same key with a different body is
/// refused. A stored answer is honoured for <see cref="KeyRetention"/>; after that the key is
/// unknown again and <see cref="IdempotencyPurge"/> deletes the row.
/// </summary>
public static class Writes
{
    public const string Header = "Idempotency-Key";

    /// <summary>
    /// How long a stored answer is honoured. A retry follows its request within seconds or minutes
    /// (a timeout, a dropped connection, a restarted pharmacy system); a day later the same key is a
    /// new request. 24 hours, as the IETF httpapi Idempotency-Key draft and common APIs (Stripe) keep
    /// keys: the stored answers can hold patient data, and kept forever the table grew with every
    /// keyed request. A retry after the window cannot change anything twice: the REMS states refuse
    /// it (a confirmed or dispensed authorization is not confirmed again, a dispensed confirmation
    /// not dispensed again).
    /// </summary>
    public static readonly Duration KeyRetention = Duration.FromHours(24);

    /// <summary>
    /// The oldest stored answer still honoured at <paramref name="now"/>: one stored exactly
    /// <see cref="KeyRetention"/> earlier is, one a tick older is not. The read and the purge share it.
    /// </summary>
    internal static Instant RetainedSince(Instant now) => now - KeyRetention;

    public static async Task<IResult> RunAsync(
        HttpContext http,
        WriteGate gate,
        object? request,
        Func<ImidCareDb, AuditWriter, Instant, Task<Reply>> work,
        bool scoped = false)
    {
        var key = http.Request.Headers[Header].ToString();
        if (key.Length > 200)
        {
            return Problems.Validation(Header, "An idempotency key is at most 200 characters.").ToResult();
        }

        var caller = http.Caller();
        if (key.Length == 0)
        {
            // Nothing to store: the reply is serialised by the caller's thread, not the single writer's.
            return (await gate.RunAsync(work, http.RequestAborted, scoped)).ToResult();
        }

        var requestHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{http.Request.Method} {http.Request.Path}\n{JsonSerializer.Serialize(request, Json.Options)}")));
        var reply = await gate.RunAsync(async (db, audit, now) =>
        {
            var seen = await HonouredAsync(db, caller.Id, key, now, http.RequestAborted);
            if (seen is not null)
            {
                return seen.RequestHash == requestHash
                    ? new StoredReply(seen.StatusCode, seen.ResponseJson)
                    : new StoredReply(422, JsonSerializer.Serialize(
                        new ProblemDto("https://imidcare.example/problems/idempotency-key-reused", "This Idempotency-Key was used for a different request.", 422,
                            "Send a new key for a new request; a retry must repeat the original request exactly."), Json.Options));
            }

            var result = await work(db, audit, now);
            var json = result.Body is null ? string.Empty : JsonSerializer.Serialize(result.Body, Json.Options);
            await InsertAsync(db, new IdempotencyRecord
            {
                CallerId = caller.Id, Key = key, RequestHash = requestHash, StatusCode = result.Status, ResponseJson = json, At = now,
            }, http.RequestAborted);
            return new StoredReply(result.Status, json);
        }, http.RequestAborted, scoped);
        return reply.ToResult();
    }

    /// <summary>
    /// The answer stored under the caller's key if it is still honoured at <paramref name="now"/>.
    /// One past <see cref="KeyRetention"/> is deleted here (in the request's savepoint, by its key),
    /// so the request runs as new and its answer takes the key. Judged on every read, the window's
    /// edge is exact however late the purge runs.
    /// </summary>
    internal static async Task<IdempotencyRecord?> HonouredAsync(ImidCareDb db, string callerId, string key, Instant now, CancellationToken ct)
    {
        // Plain SQL on the writer's prepared statements: through EF's query pipeline this one read
        // cost the single writer about as much as the rest of a dispense (docs/benchmarks.md, "Session 20").
        var seen = await FactsQuery.WithCommandAsync(db, SeenSql, async cmd =>
        {
            FactsQuery.Add(cmd, "caller", callerId);
            FactsQuery.Add(cmd, "key", key);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            return await r.ReadAsync(ct)
                ? new IdempotencyRecord
                {
                    CallerId = callerId, Key = key, RequestHash = r.GetString(0), StatusCode = r.GetInt32(1), ResponseJson = r.GetString(2),
                    At = Instant.FromUnixTimeTicks(r.GetInt64(3)),
                }
                : null;
        });
        if (seen is null || seen.At >= RetainedSince(now))
        {
            return seen;
        }

        // Plain SQL, as InsertAsync below: no cache reads this table.
        await FactsQuery.WithCommandAsync(db, DeleteSql, async cmd =>
        {
            FactsQuery.Add(cmd, "caller", callerId);
            FactsQuery.Add(cmd, "key", key);
            return await cmd.ExecuteNonQueryAsync(ct);
        });
        return null;
    }

    private const string SeenSql = """
        SELECT "RequestHash", "StatusCode", "ResponseJson", "At" FROM idempotency WHERE "CallerId" = @caller AND "Key" = @key;
        """;

    private const string DeleteSql = """
        DELETE FROM idempotency WHERE "CallerId" = @caller AND "Key" = @key;
        """;

    private const string InsertSql = """
        INSERT INTO idempotency ("CallerId", "Key", "RequestHash", "StatusCode", "ResponseJson", "At")
        VALUES (@caller, @key, @hash, @status, @json, @at);
        """;

    /// <summary>
    /// The stored reply, written in plain SQL inside the request's savepoint rather than through
    /// EF: an EF write counts as a write to anything (DataGeneration), and a pharmacy system that
    /// sends a key with every confirmation and dispense would empty every patient's cached status
    /// each time. No cache reads this table.
    /// </summary>
    private static Task InsertAsync(ImidCareDb db, IdempotencyRecord r, CancellationToken ct) =>
        FactsQuery.WithCommandAsync(db, InsertSql, async cmd =>
        {
            FactsQuery.Add(cmd, "caller", r.CallerId);
            FactsQuery.Add(cmd, "key", r.Key);
            FactsQuery.Add(cmd, "hash", r.RequestHash);
            FactsQuery.Add(cmd, "status", r.StatusCode);
            FactsQuery.Add(cmd, "json", r.ResponseJson);
            FactsQuery.Add(cmd, "at", r.At.ToUnixTimeTicks());
            return await cmd.ExecuteNonQueryAsync(ct);
        });

    private sealed record StoredReply(int Status, string Json)
    {
        public IResult ToResult() => Json.Length == 0
            ? Results.StatusCode(Status)
            : Results.Content(Json, Status >= 400 ? "application/problem+json" : "application/json", Encoding.UTF8, Status);
    }
}
