using ImidCare.Server.Infrastructure;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Admin;

/// <summary>Audit trail search and chain verification, for the program's staff.</summary>
public static class AuditEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/audit", Search).WithSummary("Search the audit trail by subject and action (staff).");
        api.MapGet("/audit/verify", Verify).WithSummary("Recompute the hash chain; names the first broken record.");
        api.MapGet("/compliance", Compliance).WithSummary("The compliance sweep: late pregnancy tests, overdue surveys, authorizations expiring today (staff).");
    }

    private static async Task<IResult> Search(HttpContext http, IDbContextFactory<ImidCareDb> dbs, string? subject, string? action, long? afterSeq, int? take, CancellationToken ct)
    {
        if (!http.Caller().IsStaff)
        {
            return Problems.Forbidden("The audit trail is for the program's staff.").ToResult();
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = db.Audit.AsNoTracking().Where(a => a.Seq > (afterSeq ?? 0));
        if (!string.IsNullOrWhiteSpace(subject))
        {
            q = q.Where(a => a.Subject == subject);
        }

        if (!string.IsNullOrWhiteSpace(action))
        {
            q = q.Where(a => a.Action == action);
        }

        var rows = await q.OrderBy(a => a.Seq).Take(Math.Clamp(take ?? 100, 1, 1000)).ToListAsync(ct);

        // Each decision as its caller was answered: the rule sources the records name by reference, put back.
        var data = await AuditJson.ExpandAsync(db, rows.Select(r => r.DataJson), ct);
        return Results.Json(rows.Select((r, i) => new { r.Seq, r.At, r.Actor, r.ActorRole, r.OnBehalfOf, r.Action, r.Subject, data = data[i], r.PrevHash, r.Hash }), Json.Options);
    }

    private static async Task<IResult> Compliance(HttpContext http, IDbContextFactory<ImidCareDb> dbs, NodaTime.IClock clock, CancellationToken ct)
    {
        if (!http.Caller().IsStaff)
        {
            return Problems.Forbidden("The compliance sweep is for the program's staff.").ToResult();
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        return Results.Json(await ComplianceSweep.RunAsync(db, clock.GetCurrentInstant(), ct), Json.Options);
    }

    private static async Task<IResult> Verify(HttpContext http, IDbContextFactory<ImidCareDb> dbs, CancellationToken ct)
    {
        if (!http.Caller().IsStaff)
        {
            return Problems.Forbidden("The audit trail is for the program's staff.").ToResult();
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        return Results.Json(await AuditChain.VerifyAsync(db, ct), Json.Options);
    }
}
