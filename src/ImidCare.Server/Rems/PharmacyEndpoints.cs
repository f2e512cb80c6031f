using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Rems;

public sealed record RepresentativeRequest(string Name, bool Attests);

public sealed record CreatePharmacyRequest(
    string NcpdpId,
    string Npi,
    string Name,
    string Kind,
    RepresentativeRequest Representative,
    string? HeadquartersId = null,
    string? Address = null,
    LoginCredentials? PharmacistLogin = null);

public sealed record PharmacyCreated(string Id, string NcpdpId, string Name, string Kind, string ApiKey, string Note);

public sealed record StaffTrainingRequest(string StaffName, string Program, LocalDate CompletedOn);

public sealed record CertifyPharmacyRequest(string Program);

public sealed record PharmacyDto(string Id, string NcpdpId, string Npi, string Name, string Kind, string? HeadquartersId, IReadOnlyList<CertificationDto> Certifications, int TrainedStaff);

/// <summary>
/// Pharmacy certification: sites and chain headquarters (which certify their own sites), an
/// authorized representative, staff training records, suspension by the program.
/// </summary>
public static class PharmacyEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/pharmacies", Create).WithSummary("Register a pharmacy site or chain headquarters (administrator); returns its API key once.");
        api.MapGet("/pharmacies/{id}", Get).WithSummary("A pharmacy, its certifications and trained staff count.");
        api.MapPost("/pharmacies/{id}/staff-training", RecordTraining).WithSummary("Record that a staff member completed the REMS training.");
        api.MapPost("/pharmacies/{id}/certifications", Certify).WithSummary("Certify a pharmacy in a program (administrator, or its chain headquarters).");
        api.MapPost("/pharmacies/{id}/certifications/{program}/{action:regex(^(suspend|revoke|reinstate)$)}", ChangeStatus)
            .WithSummary("Suspend, revoke or reinstate a pharmacy's certification (administrator).");
    }

    private static async Task<IResult> Create(HttpContext http, CreatePharmacyRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        if (caller.Role != Roles.Admin)
        {
            return Problems.Forbidden("Only a program administrator registers pharmacies.").ToResult();
        }

        var errors = new Dictionary<string, string[]>();
        if (!NcpdpId.TryParse(req.NcpdpId, out var ncpdp, out var e1))
        {
            errors["ncpdpId"] = [e1!];
        }

        if (!Npi.TryParse(req.Npi, out _, out var e2))
        {
            errors["npi"] = [e2!];
        }

        if (req.Kind is not ("site" or "chain-headquarters"))
        {
            errors["kind"] = ["Kind is 'site' or 'chain-headquarters'."];
        }

        if (string.IsNullOrWhiteSpace(req.Name))
        {
            errors["name"] = ["A name is required."];
        }

        if (string.IsNullOrWhiteSpace(req.Representative.Name))
        {
            errors["representative.name"] = ["An authorized representative is required."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors).ToResult();
        }

        return await Writes.RunAsync(http, gate, req, async (db, audit, now) =>
        {
            if (await db.Pharmacies.AnyAsync(p => p.NcpdpId == ncpdp!.Value.Value))
            {
                return Problems.Conflict("A pharmacy with this NCPDP ID exists.", $"NCPDP ID {ncpdp} is already registered.");
            }

            if (req.HeadquartersId is { } hq && !await db.Pharmacies.AnyAsync(p => p.Id == hq && p.Kind == "chain-headquarters"))
            {
                return Problems.Validation("headquartersId", "No chain headquarters with this id.");
            }

            if (req.PharmacistLogin is { } login && await db.Users.AnyAsync(u => u.Username == login.Username))
            {
                return Problems.Validation("pharmacistLogin.username", "This username is taken.");
            }

            var pharmacy = new Pharmacy
            {
                Id = Ids.New("phy"), NcpdpId = ncpdp!.Value.Value, Npi = req.Npi.Trim(), Name = req.Name.Trim(), Kind = req.Kind,
                HeadquartersId = req.HeadquartersId, Address = req.Address, RepresentativeName = req.Representative.Name,
                RepresentativeAttestedAt = req.Representative.Attests ? now : null, CreatedAt = now,
            };
            db.Pharmacies.Add(pharmacy);
            var key = Secrets.NewToken();
            db.ApiClients.Add(new ApiClient { Id = Ids.New("key"), Name = pharmacy.Name, KeyHash = Secrets.Hash(key), Role = Roles.PharmacySystem, PharmacyId = pharmacy.Id, CreatedAt = now });
            if (req.PharmacistLogin is { } cred)
            {
                db.Users.Add(new UserAccount
                {
                    Id = Ids.New("usr"), Username = cred.Username, PasswordHash = SessionEndpoints.HashPassword(cred.Password), Role = Roles.Pharmacist,
                    DisplayName = $"Pharmacist, {pharmacy.Name}", PharmacyId = pharmacy.Id, CreatedAt = now,
                });
            }

            audit.Append(caller.AsActor(), "pharmacy.registered", $"pharmacy/{pharmacy.Id}", audit.Data(new { pharmacy.NcpdpId, pharmacy.Npi, pharmacy.Name, pharmacy.Kind, pharmacy.HeadquartersId, pharmacy.RepresentativeName }));
            return Reply.Created(new PharmacyCreated(pharmacy.Id, pharmacy.NcpdpId, pharmacy.Name, pharmacy.Kind, key, "The API key is shown only now; store it in the pharmacy system."));
        });
    }

    private static async Task<bool> MayManageAsync(ImidCareDb db, Caller caller, Pharmacy pharmacy) =>
        caller.Role == Roles.Admin
        || caller.PharmacyId == pharmacy.Id
        || (pharmacy.HeadquartersId is not null && caller.PharmacyId == pharmacy.HeadquartersId
            && await db.Pharmacies.AnyAsync(h => h.Id == pharmacy.HeadquartersId && h.Kind == "chain-headquarters"));

    private static async Task<IResult> Get(HttpContext http, string id, IDbContextFactory<ImidCareDb> dbs, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var p = await db.Pharmacies.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (p is null)
        {
            return Problems.NotFound($"Pharmacy '{id}'").ToResult();
        }

        var caller = http.Caller();
        if (!caller.IsStaff && !await MayManageAsync(db, caller, p))
        {
            return Problems.Forbidden("You may see only your own pharmacy.").ToResult();
        }

        var certs = await db.PharmacyCertifications.AsNoTracking().Where(c => c.PharmacyId == id).ToListAsync(ct);
        var trained = await db.StaffTrainings.CountAsync(t => t.PharmacyId == id, ct);
        return Results.Json(new PharmacyDto(p.Id, p.NcpdpId, p.Npi, p.Name, p.Kind, p.HeadquartersId,
            [.. certs.Select(c => new CertificationDto(c.ProgramId, c.Status, c.StatusReason, c.CertifiedAt))], trained), Json.Options);
    }

    private static async Task<IResult> RecordTraining(HttpContext http, string id, StaffTrainingRequest req, WriteGate gate, IClock clock)
    {
        var caller = http.Caller();
        if (ProgramCatalog.Find(req.Program) is not { } program)
        {
            return Problems.Validation("program", "Unknown program.").ToResult();
        }

        if (string.IsNullOrWhiteSpace(req.StaffName))
        {
            return Problems.Validation("staffName", "A staff name is required.").ToResult();
        }

        if (req.CompletedOn > ProgramTime.Today(clock.GetCurrentInstant(), program.Zone))
        {
            return Problems.Validation("completedOn", "Training cannot be completed in the future.").ToResult();
        }

        return await Writes.RunAsync(http, gate, req, async (db, audit, now) =>
        {
            var p = await db.Pharmacies.FirstOrDefaultAsync(x => x.Id == id);
            if (p is null)
            {
                return Problems.NotFound($"Pharmacy '{id}'");
            }

            if (!await MayManageAsync(db, caller, p))
            {
                return Problems.Forbidden("Only the pharmacy itself, its chain headquarters or an administrator records training.");
            }

            var t = new StaffTraining { Id = Ids.New("trn"), PharmacyId = id, StaffName = req.StaffName.Trim(), ProgramId = program.Id, CompletedOn = req.CompletedOn, RecordedAt = now };
            db.StaffTrainings.Add(t);
            audit.Append(caller.AsActor(id), "pharmacy.staff-trained", $"pharmacy/{id}", audit.Data(new { t.StaffName, t.ProgramId, t.CompletedOn }));
            return Reply.Created(new { t.Id, t.StaffName, program = t.ProgramId, completedOn = t.CompletedOn });
        });
    }

    private static async Task<IResult> Certify(HttpContext http, string id, CertifyPharmacyRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        if (ProgramCatalog.Find(req.Program) is not { } program)
        {
            return Problems.Validation("program", "Unknown program.").ToResult();
        }

        return await Writes.RunAsync(http, gate, req, async (db, audit, now) =>
        {
            var p = await db.Pharmacies.FirstOrDefaultAsync(x => x.Id == id);
            if (p is null)
            {
                return Problems.NotFound($"Pharmacy '{id}'");
            }

            var byHeadquarters = p.HeadquartersId is not null && caller.PharmacyId == p.HeadquartersId;
            if (caller.Role != Roles.Admin && !byHeadquarters)
            {
                return Problems.Forbidden("A pharmacy is certified by the program administrator, or a chain site by its certified headquarters.");
            }

            CertificationStatus? hqStatus = null;
            if (p.HeadquartersId is not null)
            {
                var s = await db.PharmacyCertifications.Where(c => c.PharmacyId == p.HeadquartersId && c.ProgramId == program.Id).Select(c => c.Status).FirstOrDefaultAsync();
                hqStatus = s is null ? null : Enum.Parse<CertificationStatus>(s);
            }

            var trained = await db.StaffTrainings.CountAsync(t => t.PharmacyId == id && t.ProgramId == program.Id);
            var decision = CertificationRules.Pharmacy(new PharmacyCertificationFacts(
                program,
                NcpdpId.TryParse(p.NcpdpId, out _, out _) && Npi.TryParse(p.Npi, out _, out _),
                !string.IsNullOrWhiteSpace(p.RepresentativeName),
                p.RepresentativeAttestedAt is not null,
                trained,
                hqStatus,
                p.HeadquartersId is not null));
            audit.Append(caller.AsActor(id), decision.IsAllowed ? "pharmacy.certified" : "pharmacy.certification-refused", $"pharmacy/{id}",
                audit.Data(new { program = program.Id, decision = DecisionDto.From(decision) }));
            if (!decision.IsAllowed)
            {
                return Problems.Refused(decision, "The pharmacy cannot be certified.");
            }

            var cert = await db.PharmacyCertifications.FirstOrDefaultAsync(c => c.PharmacyId == id && c.ProgramId == program.Id);
            if (cert is { Status: nameof(CertificationStatus.Suspended) or nameof(CertificationStatus.Revoked) })
            {
                return Problems.Conflict("The certification is suspended or revoked.", "Only the program can reinstate it.");
            }

            if (cert is null)
            {
                cert = new PharmacyCertification { Id = Ids.New("hcert"), PharmacyId = id, ProgramId = program.Id, Status = string.Empty };
                db.PharmacyCertifications.Add(cert);
            }

            cert.Status = nameof(CertificationStatus.Certified);
            cert.CertifiedAt ??= now;
            cert.UpdatedAt = now;
            return Reply.Created(new CertificationReply(new CertificationDto(program.Id, cert.Status, null, cert.CertifiedAt), DecisionDto.From(decision)));
        });
    }

    private static Task<IResult> ChangeStatus(HttpContext http, string id, string program, string action, StatusChangeRequest req, WriteGate gate) =>
        CertificationTransitions.ChangeAsync(http, gate, req, "pharmacy", id, program, action, CertificationTransitions.Finder("pharmacy", id));
}
