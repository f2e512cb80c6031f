using ImidCare.Rules;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Rems;

public sealed record ReproductiveAnswers(bool MensesInLast24Months, bool NaturalMenopauseAtLeast24Months, bool Hysterectomy, bool BilateralOophorectomy);

public sealed record AgreementRequest(string SignedBy, string SignerRole, string TextVersion, bool Accepted);

public sealed record EnrollPatientRequest(
    string Name,
    LocalDate DateOfBirth,
    Sex Sex,
    string Program,
    ReproductiveAnswers Reproductive,
    MenstrualPattern MenstrualPattern,
    AgreementRequest Agreement,
    string? PrescriberId = null,
    string? GuardianName = null,
    LoginCredentials? PatientLogin = null);

public sealed record CategoryReviewRequest(ReproductiveAnswers Reproductive, string Reason);

public sealed record CategoryReviewReply(string From, string To, DecisionDto Decision);

public sealed record HoldDto(string Id, string Code, string Why, IReadOnlyList<string> ClearedBy, Instant OpenedAt);

public sealed record NextTestDto(LocalDate DueOn, bool Overdue, int IntervalDays, string Source, bool Unverified);

public sealed record SurveyStatusDto(bool Due, DecisionDto Decision, LocalDate? LastCompleted);

public sealed record CategoryChangeDto(string? From, string To, string Reason, string By, Instant At);

public sealed record AuthorizationSummary(string Number, string State, LocalDate ValidThrough, Instant ExpiresAt, int DaysSupply);

public sealed record PatientStatusDto(
    string Id,
    string Name,
    LocalDate DateOfBirth,
    Sex Sex,
    string PrescriberId,
    string Program,
    RiskCategory Category,
    bool CanGetPregnant,
    string EnrollmentStatus,
    bool AgreementSigned,
    LocalDate? TherapyStart,
    IReadOnlyList<HoldDto> Holds,
    NextTestDto? NextPregnancyTest,
    SurveyStatusDto PatientSurvey,
    IReadOnlyList<AuthorizationSummary> Authorizations,
    IReadOnlyList<CategoryChangeDto> CategoryHistory,
    IReadOnlyList<EnrollmentStatusChangeDto> StatusHistory,
    FirstPrescriptionDto? FirstPrescription);

/// <summary>
/// Before the first prescription of a patient who can get pregnant: whether it is authorized yet,
/// the pre-start tests as the authorization would judge them now, and, when they support it, the
/// last moment they do (the second test counts for 24 hours).
/// </summary>
public sealed record FirstPrescriptionDto(bool Authorized, DecisionDto PreStartTests, Instant? AuthorizeBy);

public sealed record EnrollmentReply(PatientStatusDto Patient, DecisionDto Decision);

/// <summary>Patient enrollment with a derived risk category, category review, and the patient's REMS status.</summary>
public static class PatientEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/patients", Enroll).WithSummary("Enroll a patient: the risk category is derived from the answers; the agreement is signed electronically.");
        api.MapGet("/patients", List).WithSummary("The caller's patients (a prescriber's own, an office's practice, all for staff).");
        api.MapGet("/patients/{id}", Get).WithSummary("A patient's REMS status: category, holds and what clears them, next test due, survey due, authorizations.");
        api.MapPost("/patients/{id}/category-reviews", Review).WithSummary("Re-derive the category from new facts; the change is kept in the history with its reason.");
        api.MapGet("/patients/{id}/agreement", Agreement).WithSummary("The signed Patient-Physician Agreement: who, when, which text.");
    }

    internal static ReproductiveFacts Facts(Sex sex, LocalDate dob, ReproductiveAnswers a) =>
        new(sex, dob, a.MensesInLast24Months, a.NaturalMenopauseAtLeast24Months, a.Hysterectomy, a.BilateralOophorectomy);

    /// <summary>The field checks of an enrollment (the API and the web wizard show the same reasons).</summary>
    internal static Dictionary<string, string[]> ValidateEnrollment(EnrollPatientRequest req, ProgramRules program, Instant now)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(req.Name))
        {
            errors["name"] = ["A name is required."];
        }

        if (req.Agreement.SignerRole is not ("patient" or "guardian"))
        {
            errors["agreement.signerRole"] = ["The signer is 'patient' or 'guardian'."];
        }

        if (!req.Agreement.Accepted)
        {
            errors["agreement.accepted"] = ["The agreement must be accepted to enroll."];
        }

        if (string.IsNullOrWhiteSpace(req.Agreement.SignedBy))
        {
            errors["agreement.signedBy"] = ["The signer's name is required."];
        }

        var today = ProgramTime.Today(now, program.Zone);
        if (req.DateOfBirth > today || req.DateOfBirth < today.PlusYears(-130))
        {
            errors["dateOfBirth"] = ["The date of birth must be in the past 130 years."];
        }

        // The same bar as a prescriber's own login: without it a username with an empty password
        // made an account anyone could try to open.
        if (req.PatientLogin is { } login)
        {
            if (string.IsNullOrWhiteSpace(login.Username) || login.Username.Trim().Length < 3)
            {
                errors["patientLogin.username"] = ["A patient username has at least 3 characters."];
            }
            else if (login.Username != login.Username.Trim())
            {
                // Stored as sent, " john" would be an account nobody could sign in to by typing "john".
                errors["patientLogin.username"] = ["A patient username cannot start or end with a space."];
            }

            if (login.Password is null || login.Password.Length < 10)
            {
                errors["patientLogin.password"] = ["A patient password has at least 10 characters."];
            }
        }

        return errors;
    }

    private static async Task<IResult> Enroll(HttpContext http, EnrollPatientRequest req, WriteGate gate, IClock clock)
    {
        var caller = http.Caller();
        if (!caller.IsPrescriberSide)
        {
            return Problems.Forbidden("Patients are enrolled by their prescriber.").ToResult();
        }

        if (ProgramCatalog.Find(req.Program) is not { } program)
        {
            return Problems.Validation("program", $"Unknown program; use one of {string.Join(", ", ProgramCatalog.All.Select(p => p.Id))}.").ToResult();
        }

        var errors = ValidateEnrollment(req, program, clock.GetCurrentInstant());
        if (errors.Count > 0)
        {
            return Problems.Validation(errors).ToResult();
        }

        return await Writes.RunAsync(http, gate, req, (db, audit, now) => EnrollAsync(caller, program, req, db, audit, now, http.RequestAborted));
    }

    internal static async Task<Reply> EnrollAsync(Caller caller, ProgramRules program, EnrollPatientRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        var prescriberId = await Access.ActingPrescriberAsync(db, caller, req.PrescriberId, ct);
        if (prescriberId is null)
        {
            return Problems.Forbidden("You may enroll patients only for yourself, or for a prescriber of your practice (name them in prescriberId).");
        }

        if (req.PatientLogin is { } login && await db.Users.AnyAsync(u => u.Username == login.Username))
        {
            return Problems.Validation("patientLogin.username", "This username is taken.");
        }

        var facts = Facts(req.Sex, req.DateOfBirth, req.Reproductive);
        var category = RiskCategoryRules.Derive(facts, program.Categories.Value, program.AdultAgeYears.Value, ProgramTime.Today(now, program.Zone));
        var certification = await db.PrescriberCertifications.Where(c => c.PrescriberId == prescriberId && c.ProgramId == program.Id).Select(c => c.Status).FirstOrDefaultAsync();
        var decision = CertificationRules.Patient(new PatientEnrollmentFacts(
            program, category, certification is null ? null : Enum.Parse<CertificationStatus>(certification),
            req.Agreement.Accepted, req.Agreement.TextVersion, req.Agreement.SignerRole == "guardian"));
        if (!decision.IsAllowed)
        {
            audit.Append(caller.AsActor(prescriberId), "patient.enrollment-refused", $"prescriber/{prescriberId}", audit.Data(new { program = program.Id, decision = DecisionDto.From(decision) }));
            return Problems.Refused(decision, "The patient cannot be enrolled.");
        }

        var patient = new Patient
        {
            Id = Ids.New("pat"), Name = req.Name.Trim(), DateOfBirth = req.DateOfBirth, Sex = req.Sex.ToString(), PrescriberId = prescriberId,
            MenstrualPattern = req.MenstrualPattern.ToString(), GuardianName = req.GuardianName, CreatedAt = now,
        };
        var factsJson = AuditData.Of(req.Reproductive);
        var enrollment = new Enrollment
        {
            Id = Ids.New("enr"), PatientId = patient.Id, ProgramId = program.Id, Category = category.Category!.Value.ToString(),
            Status = nameof(EnrollmentStatus.Enrolled), EnrolledAt = now, FactsJson = factsJson,
        };
        db.Patients.Add(patient);
        db.Enrollments.Add(enrollment);
        db.CategoryChanges.Add(new CategoryChange
        {
            Id = Ids.New("cat"), EnrollmentId = enrollment.Id, ToCategory = enrollment.Category, Reason = "Enrollment", FactsJson = factsJson, By = caller.Id, At = now,
        });
        db.Agreements.Add(new Agreement
        {
            Id = Ids.New("agr"), EnrollmentId = enrollment.Id, SignedBy = req.Agreement.SignedBy.Trim(), SignerRole = req.Agreement.SignerRole, SignedAt = now,
            TextVersion = program.AgreementTextVersion, TextSha256 = AgreementTexts.Sha256(program), WitnessedBy = prescriberId,
        });
        if (req.PatientLogin is { } cred)
        {
            db.Users.Add(new UserAccount
            {
                Id = Ids.New("usr"), Username = cred.Username, PasswordHash = SessionEndpoints.HashPassword(cred.Password), Role = Roles.Patient,
                DisplayName = patient.Name, PatientId = patient.Id, CreatedAt = now,
            });
        }

        audit.Append(caller.AsActor(prescriberId), "patient.enrolled", $"patient/{patient.Id}",
            audit.Data(new { program = program.Id, category = enrollment.Category, agreement = program.AgreementTextVersion, decision = DecisionDto.From(decision) }));
        await db.SaveChangesAsync();
        var status = await StatusAsync(db, patient.Id, now, ct);
        return Reply.Created(new EnrollmentReply(status!, DecisionDto.From(decision)));
    }

    private static async Task<IResult> List(HttpContext http, IDbContextFactory<ImidCareDb> dbs, CancellationToken ct)
    {
        var caller = http.Caller();
        await using var db = await dbs.CreateDbContextAsync(ct);
        IQueryable<Patient> q = db.Patients.AsNoTracking();
        q = caller.Role switch
        {
            _ when caller.IsStaff => q,
            Roles.Prescriber => q.Where(p => p.PrescriberId == caller.PrescriberId),
            Roles.PrescriberOffice => q.Where(p => db.Prescribers.Any(x => x.Id == p.PrescriberId && x.PracticeId == caller.PracticeId)),
            Roles.Patient => q.Where(p => p.Id == caller.PatientId),
            _ => q.Where(_ => false),
        };
        var rows = await q.OrderBy(p => p.Name).Take(500)
            .Select(p => new { p.Id, p.Name, p.DateOfBirth, p.PrescriberId, Enrollment = db.Enrollments.Where(e => e.PatientId == p.Id).Select(e => new { e.ProgramId, e.Category, e.Status }).FirstOrDefault() })
            .ToListAsync(ct);
        return Results.Json(rows, Json.Options);
    }

    private static async Task<IResult> Get(HttpContext http, string id, IDbContextFactory<ImidCareDb> dbs, IClock clock, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var patient = await db.Patients.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct);
        if (patient is null)
        {
            return Problems.NotFound($"Patient '{id}'").ToResult();
        }

        if (!await Access.CanSeePatientAsync(db, http.Caller(), patient, ct))
        {
            return Problems.Forbidden("You may see only your own patients.").ToResult();
        }

        var status = await StatusAsync(db, id, clock.GetCurrentInstant(), ct);
        return status is null ? Problems.NotFound($"Enrollment of patient '{id}'").ToResult() : Results.Json(status, Json.Options);
    }

    internal static async Task<PatientStatusDto?> StatusAsync(ImidCareDb db, string patientId, Instant now, CancellationToken ct)
    {
        var f = await PatientFacts.LoadAsync(db, patientId, null, now, ct);
        if (f is null)
        {
            return null;
        }

        var p = f.Program;
        var next = f.Category.CanGetPregnant()
            ? PregnancyTestRules.NextDue(f.Tests, p, f.Enrollment.TherapyStart, Enum.Parse<MenstrualPattern>(f.Patient.MenstrualPattern), now)
            : null;
        var survey = SurveyRules.PatientSurveyCurrent(p, f.Category, f.FirstPrescription, f.LastPatientSurvey, ProgramTime.Today(now, p.Zone));
        var auths = await db.Authorizations.AsNoTracking().Where(a => a.PatientId == patientId).OrderByDescending(a => a.IssuedAt).Take(10).ToListAsync(ct);
        var history = await db.CategoryChanges.AsNoTracking().Where(c => c.EnrollmentId == f.Enrollment.Id).OrderBy(c => c.At).ToListAsync(ct);
        var statusHistory = await db.EnrollmentStatusChanges.AsNoTracking().Where(c => c.EnrollmentId == f.Enrollment.Id).OrderBy(c => c.At).ToListAsync(ct);
        return new PatientStatusDto(
            f.Patient.Id, f.Patient.Name, f.Patient.DateOfBirth, Enum.Parse<Sex>(f.Patient.Sex), f.Patient.PrescriberId, p.Id, f.Category, f.Category.CanGetPregnant(),
            f.Enrollment.Status, f.AgreementSigned, f.Enrollment.TherapyStart,
            [.. f.OpenHoldRecords.Select(h => new HoldDto(h.Id, h.Code, h.Why, [.. PatientFacts.Clearances(h).Select(c => c.ToString())], h.OpenedAt))],
            next is null ? null : new NextTestDto(next.DueOn, next.Overdue, next.IntervalDays, next.Source.Document, next.Source.Unverified),
            new SurveyStatusDto(!survey.IsAllowed, DecisionDto.From(survey), f.LastPatientSurvey),
            [.. auths.Select(a => new AuthorizationSummary(a.Number, AuthorizationEndpoints.EffectiveState(a, now), a.ValidThrough, a.ExpiresAt, a.DaysSupply))],
            [.. history.Select(c => new CategoryChangeDto(c.FromCategory, c.ToCategory, c.Reason, c.By, c.At))],
            [.. statusHistory.Select(EnrollmentStatusEndpoints.ToDto)],
            f.FirstPrescription && f.Category.CanGetPregnant()
                ? new FirstPrescriptionDto(
                    auths.Any(a => AuthorizationEndpoints.EffectiveState(a, now) is nameof(AuthorizationState.Active) or nameof(AuthorizationState.Confirmed)),
                    DecisionDto.From(PregnancyTestRules.PreStart(f.Tests, p, now)), f.FirstPrescriptionUntil(now))
                : null);
    }

    private static async Task<IResult> Review(HttpContext http, string id, CategoryReviewRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        if (string.IsNullOrWhiteSpace(req.Reason))
        {
            return Problems.Validation("reason", "A reason for the review is required.").ToResult();
        }

        return await Writes.RunAsync(http, gate, req, (db, audit, now) => ReviewCategoryAsync(caller, id, req, db, audit, now, http.RequestAborted));
    }

    /// <summary>The category review inside the write gate: the API and the category-review page run this core.</summary>
    internal static async Task<Reply> ReviewCategoryAsync(Caller caller, string id, CategoryReviewRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(req.Reason))
        {
            return Problems.Validation("reason", "A reason for the review is required.");
        }

        var patient = await db.Patients.FirstOrDefaultAsync(p => p.Id == id, ct);
        if (patient is null)
        {
            return Problems.NotFound($"Patient '{id}'");
        }

        if (!caller.IsPrescriberSide || !await Access.CanSeePatientAsync(db, caller, patient, ct))
        {
            return Problems.Forbidden("Only the patient's prescriber reviews the category.");
        }

        var enrollment = await db.Enrollments.FirstAsync(e => e.PatientId == id, ct);
        var program = ProgramCatalog.Find(enrollment.ProgramId)!;
        var result = RiskCategoryRules.Derive(Facts(Enum.Parse<Sex>(patient.Sex), patient.DateOfBirth, req.Reproductive), program.Categories.Value, program.AdultAgeYears.Value, ProgramTime.Today(now, program.Zone));
        if (!result.Decision.IsAllowed)
        {
            return Problems.Refused(result.Decision, "The category cannot be derived from these facts.");
        }

        var from = enrollment.Category;
        var to = result.Category!.Value.ToString();
        enrollment.Category = to;
        enrollment.FactsJson = AuditData.Of(req.Reproductive);
        db.CategoryChanges.Add(new CategoryChange
        {
            Id = Ids.New("cat"), EnrollmentId = enrollment.Id, FromCategory = from, ToCategory = to, Reason = req.Reason.Trim(), FactsJson = enrollment.FactsJson, By = caller.Id, At = now,
        });
        audit.Append(caller.AsActor(patient.PrescriberId), "patient.category-reviewed", $"patient/{id}", audit.Data(new { from, to, req.Reason, decision = DecisionDto.From(result.Decision) }));
        return Reply.Ok(new CategoryReviewReply(from, to, DecisionDto.From(result.Decision)));
    }

    private static async Task<IResult> Agreement(HttpContext http, string id, IDbContextFactory<ImidCareDb> dbs, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var patient = await db.Patients.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct);
        if (patient is null || !await Access.CanSeePatientAsync(db, http.Caller(), patient, ct))
        {
            return (patient is null ? Problems.NotFound($"Patient '{id}'") : Problems.Forbidden("Not your patient.")).ToResult();
        }

        var enrollment = await db.Enrollments.AsNoTracking().FirstAsync(e => e.PatientId == id, ct);
        var program = ProgramCatalog.Find(enrollment.ProgramId)!;
        var signatures = await db.Agreements.AsNoTracking().Where(a => a.EnrollmentId == enrollment.Id).ToListAsync(ct);
        return Results.Json(new
        {
            text = AgreementTexts.For(program),
            textVersion = program.AgreementTextVersion,
            textSha256 = AgreementTexts.Sha256(program),
            signatures = signatures.Select(s => new { s.SignedBy, s.SignerRole, s.SignedAt, s.TextVersion, s.TextSha256, s.WitnessedBy }),
        }, Json.Options);
    }
}
