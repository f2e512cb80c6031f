using System.Globalization;
using ImidCare.Rules;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Rems;

public sealed record LoginCredentials(string Username, string Password);

public sealed record CreatePrescriberRequest(string Npi, string Name, string PracticeId, LoginCredentials? Login = null);

public sealed record PrescriberDto(string Id, string Npi, string Name, string PracticeId, IReadOnlyList<CertificationDto> Certifications);

public sealed record CertificationDto(string ProgramId, string Status, string? Reason, NodaTime.Instant? CertifiedAt);

public sealed record CertifyPrescriberRequest(string Program, bool TrainingAttested, bool AgreesToRequirements);

public sealed record CertificationReply(CertificationDto Certification, DecisionDto Decision);

public sealed record StatusChangeRequest(string Reason);

/// <summary>Prescriber enrollment and certification per program; suspension and revocation by the program.</summary>
public static class PrescriberEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/prescribers", Create).WithSummary("Register a prescriber (administrator).");
        api.MapGet("/prescribers/{id}", Get).WithSummary("A prescriber and their certifications.");
        api.MapPost("/prescribers/{id}/certifications", Certify).WithSummary("Enroll in a program: training and agreement attested, NPI checked → certified.");
        api.MapPost("/prescribers/{id}/certifications/{program}/{action:regex(^(suspend|revoke|reinstate)$)}", ChangeStatus)
            .WithSummary("Suspend, revoke or reinstate a prescriber's certification (administrator).");
    }

    private static async Task<IResult> Create(HttpContext http, CreatePrescriberRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        if (caller.Role != Roles.Admin)
        {
            return Problems.Forbidden("Only a program administrator registers prescribers.").ToResult();
        }

        if (!Npi.TryParse(req.Npi, out var npi, out var npiError))
        {
            return Problems.Validation("npi", npiError!).ToResult();
        }

        if (string.IsNullOrWhiteSpace(req.Name))
        {
            return Problems.Validation("name", "A name is required.").ToResult();
        }

        if (req.Login is { } l && (l.Username.Length < 3 || l.Password.Length < 10))
        {
            return Problems.Validation("login", "A username of at least 3 characters and a password of at least 10 are required.").ToResult();
        }

        return await Writes.RunAsync(http, gate, req, async (db, audit, now) =>
        {
            if (await db.Prescribers.AnyAsync(p => p.Npi == npi.Value.Value))
            {
                return Problems.Conflict("A prescriber with this NPI exists.", $"NPI {npi} is already registered.");
            }

            if (req.Login is { } login && await db.Users.AnyAsync(u => u.Username == login.Username))
            {
                return Problems.Validation("login.username", "This username is taken.");
            }

            if (!await db.Practices.AnyAsync(p => p.Id == req.PracticeId))
            {
                db.Practices.Add(new Practice { Id = req.PracticeId, Name = req.PracticeId });
            }

            var prescriber = new Prescriber { Id = Ids.New("prs"), Npi = npi.Value.Value, Name = req.Name.Trim(), PracticeId = req.PracticeId, CreatedAt = now };
            db.Prescribers.Add(prescriber);
            if (req.Login is { } cred)
            {
                db.Users.Add(new UserAccount
                {
                    Id = Ids.New("usr"), Username = cred.Username, PasswordHash = SessionEndpoints.HashPassword(cred.Password), Role = Roles.Prescriber,
                    DisplayName = prescriber.Name, PrescriberId = prescriber.Id, CreatedAt = now,
                });
            }

            audit.Append(caller.AsActor(), "prescriber.registered", $"prescriber/{prescriber.Id}", audit.Data(new { prescriber.Npi, prescriber.Name, prescriber.PracticeId }));
            return Reply.Created(new PrescriberDto(prescriber.Id, prescriber.Npi, prescriber.Name, prescriber.PracticeId, []));
        });
    }

    private static async Task<IResult> Get(HttpContext http, string id, IDbContextFactory<ImidCareDb> dbs, CancellationToken ct)
    {
        var caller = http.Caller();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var p = await db.Prescribers.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (p is null)
        {
            return Problems.NotFound($"Prescriber '{id}'").ToResult();
        }

        var mayRead = caller.IsStaff || caller.PrescriberId == id || (caller.Role == Roles.PrescriberOffice && caller.PracticeId == p.PracticeId);
        if (!mayRead)
        {
            return Problems.Forbidden("You may see only your own prescriber record.").ToResult();
        }

        var certs = await db.PrescriberCertifications.AsNoTracking().Where(c => c.PrescriberId == id).ToListAsync(ct);
        return Results.Json(new PrescriberDto(p.Id, p.Npi, p.Name, p.PracticeId, [.. certs.Select(c => new CertificationDto(c.ProgramId, c.Status, c.StatusReason, c.CertifiedAt))]), Json.Options);
    }

    private static async Task<IResult> Certify(HttpContext http, string id, CertifyPrescriberRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        if (CheckCertify(caller, id, req) is { } refused)
        {
            return refused.ToResult();
        }

        return await Writes.RunAsync(http, gate, req, (db, audit, now) => CertifyAsync(caller, id, req, db, audit, now));
    }

    private static Reply? CheckCertify(Caller caller, string id, CertifyPrescriberRequest req) =>
        !(caller.Role == Roles.Admin || caller.PrescriberId == id) ? Problems.Forbidden("A prescriber enrolls only themself (or an administrator for them).")
        : ProgramCatalog.Find(req.Program) is null ? Problems.Validation("program", $"Unknown program; use one of {string.Join(", ", ProgramCatalog.All.Select(p => p.Id))}.")
        : null;

    /// <summary>Certification in one program, inside the write gate (the API and the self-certification page).</summary>
    internal static async Task<Reply> CertifyAsync(Caller caller, string id, CertifyPrescriberRequest req, ImidCareDb db, Store.Audit.AuditWriter audit, NodaTime.Instant now)
    {
        if (CheckCertify(caller, id, req) is { } refused)
        {
            return refused;
        }

        var program = ProgramCatalog.Find(req.Program)!;
        var p = await db.Prescribers.FirstOrDefaultAsync(x => x.Id == id);
        if (p is null)
        {
            return Problems.NotFound($"Prescriber '{id}'");
        }

        var decision = CertificationRules.Prescriber(new PrescriberEnrollmentFacts(program, Npi.TryParse(p.Npi, out _, out _), req.TrainingAttested, req.AgreesToRequirements));
        var cert = await db.PrescriberCertifications.FirstOrDefaultAsync(c => c.PrescriberId == id && c.ProgramId == program.Id);
        audit.Append(caller.AsActor(id), decision.IsAllowed ? "prescriber.certified" : "prescriber.certification-refused", $"prescriber/{id}",
            audit.Data(new { program = program.Id, decision = DecisionDto.From(decision) }));
        if (!decision.IsAllowed)
        {
            return Problems.Refused(decision, "The prescriber cannot be certified.");
        }

        if (cert is { Status: nameof(CertificationStatus.Suspended) or nameof(CertificationStatus.Revoked) })
        {
            return Problems.Conflict("The certification is suspended or revoked.", "Only the program can reinstate it.");
        }

        if (cert is null)
        {
            cert = new PrescriberCertification { Id = Ids.New("pcert"), PrescriberId = id, ProgramId = program.Id, Status = string.Empty };
            db.PrescriberCertifications.Add(cert);
        }

        cert.Status = nameof(CertificationStatus.Certified);
        cert.TrainingAttestedAt = now;
        cert.CertifiedAt ??= now;
        cert.UpdatedAt = now;
        return Reply.Created(new CertificationReply(new CertificationDto(program.Id, cert.Status, null, cert.CertifiedAt), DecisionDto.From(decision)));
    }

    private static Task<IResult> ChangeStatus(HttpContext http, string id, string program, string action, StatusChangeRequest req, WriteGate gate) =>
        CertificationTransitions.ChangeAsync(http, gate, req, "prescriber", id, program, action, CertificationTransitions.Finder("prescriber", id));
}

/// <summary>The certification state machine, shared by prescribers and pharmacies: every other transition is refused.</summary>
public static class CertificationTransitions
{
    /// <summary>Suspend, revoke or reinstate a certification (administrator), audited with its reason.</summary>
    public static async Task<IResult> ChangeAsync(HttpContext http, WriteGate gate, StatusChangeRequest req, string kind, string id, string program, string action,
        Func<ImidCareDb, string, Task<ICertification?>> find)
    {
        var caller = http.Caller();
        if (Check(caller, req) is { } refused)
        {
            return refused.ToResult();
        }

        return await Writes.RunAsync(http, gate, req, (db, audit, now) => ChangeCoreAsync(caller, req, kind, id, program, action, find, db, audit, now));
    }

    /// <summary>Who may change a status and what a request must carry: the API and the admin page ask the same.</summary>
    internal static Reply? Check(Caller caller, StatusChangeRequest req) =>
        caller.Role != Roles.Admin ? Problems.Forbidden("Only a program administrator changes certification status.")
        : string.IsNullOrWhiteSpace(req.Reason) ? Problems.Validation("reason", "A reason is required.")
        : null;

    /// <summary>The transition itself, inside the write gate; the admin page runs this core too.</summary>
    internal static async Task<Reply> ChangeCoreAsync(Caller caller, StatusChangeRequest req, string kind, string id, string program, string action,
        Func<ImidCareDb, string, Task<ICertification?>> find, ImidCareDb db, Store.Audit.AuditWriter audit, NodaTime.Instant now)
    {
        if (Check(caller, req) is { } refused)
        {
            return refused;
        }

        var programId = program.ToUpperInvariant();
        var cert = await find(db, programId);
        if (cert is null)
        {
            return Problems.NotFound($"Certification of {kind} '{id}' in '{program}'");
        }

        var result = Apply(cert.Status, action);
        if (result.Error is not null)
        {
            return Problems.Conflict("That status change is not possible.", result.Error);
        }

        cert.Status = result.Status!;
        cert.StatusReason = req.Reason;
        cert.UpdatedAt = now;
        audit.Append(caller.AsActor(), $"{kind}.certification.{action}", $"{kind}/{id}", audit.Data(new { program = programId, req.Reason }));
        return Reply.Ok(new CertificationDto(cert.ProgramId, cert.Status, cert.StatusReason, cert.CertifiedAt));
    }

    /// <summary>How each kind's certification is found, shared by the API routes and the admin page.</summary>
    internal static Func<ImidCareDb, string, Task<ICertification?>> Finder(string kind, string id) => kind switch
    {
        "prescriber" => async (db, programId) => await db.PrescriberCertifications.FirstOrDefaultAsync(c => c.PrescriberId == id && c.ProgramId == programId),
        "pharmacy" => async (db, programId) => await db.PharmacyCertifications.FirstOrDefaultAsync(c => c.PharmacyId == id && c.ProgramId == programId),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "A certification belongs to a prescriber or a pharmacy."),
    };

    public static (string? Status, string? Error) Apply(string current, string action) => (current, action) switch
    {
        (nameof(CertificationStatus.Certified), "suspend") => (nameof(CertificationStatus.Suspended), null),
        (nameof(CertificationStatus.Certified) or nameof(CertificationStatus.Suspended), "revoke") => (nameof(CertificationStatus.Revoked), null),
        (nameof(CertificationStatus.Suspended), "reinstate") => (nameof(CertificationStatus.Certified), null),
        _ => (null, $"A certification that is {current.ToLowerInvariant()} cannot be {Past(action)}."),
    };

    private static string Past(string action) => action switch
    {
        "suspend" => "suspended",
        "revoke" => "revoked",
        _ => "reinstated",
    };
}

public static class Ids
{
    public static string New(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 17)];

    /// <summary>
    /// An id that sorts by the time it was made (a version-7 GUID: milliseconds first, then random
    /// bits), for the rows written on every dispense: a random key puts each insert on a random page
    /// of the primary-key index, one more page the commit must write; ordered keys land on its last page.
    /// </summary>
    public static string Ordered(string prefix, NodaTime.Instant at) => $"{prefix}_{Guid.CreateVersion7(at.ToDateTimeOffset()):N}";
}

public static class AuditData
{
    public static string Of(object value) => System.Text.Json.JsonSerializer.Serialize(value, Json.Options);
}
