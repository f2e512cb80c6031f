using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Admin;

public sealed record DeclareOutageRequest(Instant From, Instant To, string Reason, string? Program = null);

public sealed record OutageDto(string Id, string? Program, Instant From, Instant To, string Reason, Instant DeclaredAt, string Rule, bool Unverified);

/// <summary>
/// Outage mode (the iPLEDGE December 2021 lesson): the program declares when it could not be
/// reached, and every authorization and confirmation window open during that time has its clock
/// stopped for as long (<see cref="OutageRules"/>). Pharmacies see the declared outages.
/// </summary>
public static class OutageEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/outages", Declare).WithSummary("Declare a program outage (administrator): open windows are extended by its length.");
        api.MapGet("/outages", List).WithSummary("Declared outages, for pharmacies and prescribers to see why a window was extended.");
    }

    /// <summary>The outages that apply to a program, as the rules see them.</summary>
    public static async Task<IReadOnlyList<Outage>> ForProgramAsync(ImidCareDb db, string programId, CancellationToken ct) =>
        [.. (await db.Outages.AsNoTracking().Where(o => o.ProgramId == null || o.ProgramId == programId).ToListAsync(ct)).Select(o => new Outage(o.From, o.To, o.Reason))];

    private static async Task<IResult> Declare(HttpContext http, DeclareOutageRequest req, WriteGate gate, IClock clock)
    {
        var caller = http.Caller();
        if (caller.Role != Roles.Admin)
        {
            return Problems.Forbidden("Only the program administrator declares an outage.").ToResult();
        }

        if (req.To <= req.From)
        {
            return Problems.Validation("to", "An outage ends after it begins.").ToResult();
        }

        if (req.From > clock.GetCurrentInstant())
        {
            return Problems.Validation("from", "An outage is declared once it has begun, not in advance.").ToResult();
        }

        if (req.Program is { } p && ProgramCatalog.Find(p) is null)
        {
            return Problems.Validation("program", "Unknown program.").ToResult();
        }

        if (string.IsNullOrWhiteSpace(req.Reason))
        {
            return Problems.Validation("reason", "Say what was unreachable.").ToResult();
        }

        return await Writes.RunAsync(http, gate, req, (db, audit, now) =>
        {
            var o = new OutageRecord
            {
                Id = Ids.New("outage"), ProgramId = req.Program is null ? null : ProgramCatalog.Find(req.Program)!.Id, From = req.From, To = req.To,
                Reason = req.Reason.Trim(), DeclaredBy = caller.Id, DeclaredAt = now,
            };
            db.Outages.Add(o);
            audit.Append(caller.AsActor(), "outage.declared", "system/outages", audit.Data(new { o.Id, o.ProgramId, o.From, o.To, o.Reason }));
            return Task.FromResult(Reply.Created(ToDto(o)));
        });
    }

    private static async Task<IResult> List(IDbContextFactory<ImidCareDb> dbs, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var all = await db.Outages.AsNoTracking().OrderByDescending(o => o.From).Take(200).ToListAsync(ct);
        return Results.Json(all.Select(ToDto), Json.Options);
    }

    private static OutageDto ToDto(OutageRecord o) =>
        new(o.Id, o.ProgramId, o.From, o.To, o.Reason, o.DeclaredAt, OutageRules.Source.Document, OutageRules.Source.Unverified);
}
