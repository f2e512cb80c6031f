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

public sealed record PregnancyTestRequest(Instant SpecimenAt, TestResult Result, int SensitivityMiuPerMl, TestSetting Setting, string VerifiedBy);

public sealed record PregnancyTestDto(string Id, Instant SpecimenAt, LocalDate SpecimenDate, TestResult Result, int SensitivityMiuPerMl, TestSetting Setting, string VerifiedBy, DecisionDto Counts);

public sealed record SurveyRequest(PatientSurveyAnswers Answers);

public sealed record SurveyReply(string Id, string Outcome, DecisionDto Decision, IReadOnlyList<HoldDto> HoldsOpened);

public sealed record ClearHoldRequest(bool CounselingAttested, string Note);

/// <summary>Pregnancy tests, patient surveys and the holds they open.</summary>
public static class MonitoringEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/patients/{id}/pregnancy-tests", RecordTest).WithSummary("Record a pregnancy test: specimen time, result, sensitivity, setting, who verified.");
        api.MapGet("/patients/{id}/pregnancy-tests", ListTests).WithSummary("The patient's tests and the next one due.");
        api.MapPost("/patients/{id}/surveys", TakeSurvey).WithSummary("The patient's mandatory survey; risk answers put the patient on hold.");
        api.MapPost("/patients/{id}/holds/{holdId}/clear", ClearHold).WithSummary("Clear a hold once what it names is done.");
    }

    /// <summary>The field checks of a pregnancy test entry, shared by the API and the web form.</summary>
    internal static Reply? ValidateTest(PregnancyTestRequest req, Instant now)
    {
        if (req.SensitivityMiuPerMl is < 1 or > 10_000)
        {
            return Problems.Validation("sensitivityMiuPerMl", "Sensitivity is between 1 and 10000 mIU/mL.");
        }

        if (req.SpecimenAt > now + Duration.FromMinutes(5))
        {
            return Problems.Validation("specimenAt", "The specimen cannot be taken in the future.");
        }

        if (string.IsNullOrWhiteSpace(req.VerifiedBy))
        {
            return Problems.Validation("verifiedBy", "Say who verified the result.");
        }

        return null;
    }

    private static async Task<IResult> RecordTest(HttpContext http, string id, PregnancyTestRequest req, WriteGate gate, IClock clock)
    {
        var caller = http.Caller();
        if (ValidateTest(req, clock.GetCurrentInstant()) is { } invalid)
        {
            return invalid.ToResult();
        }

        return await Writes.RunAsync(http, gate, req, (db, audit, now) => RecordTestAsync(caller, id, req, db, audit, now, http.RequestAborted), scoped: true);
    }

    internal static async Task<Reply> RecordTestAsync(Caller caller, string id, PregnancyTestRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        var patient = await db.Patients.FirstOrDefaultAsync(p => p.Id == id);
        if (patient is null)
        {
            return Problems.NotFound($"Patient '{id}'");
        }

        if (!caller.IsPrescriberSide || !await Access.CanSeePatientAsync(db, caller, patient, ct))
        {
            return Problems.Forbidden("Pregnancy tests are recorded by the patient's prescriber.");
        }

        var enrollment = await db.Enrollments.FirstAsync(e => e.PatientId == id);
        var program = ProgramCatalog.Find(enrollment.ProgramId)!;
        var rec = new PregnancyTestRecord
        {
            Id = Ids.New("ptst"), PatientId = id, SpecimenAt = req.SpecimenAt, Result = req.Result.ToString(), SensitivityMiuPerMl = req.SensitivityMiuPerMl,
            Setting = req.Setting.ToString(), VerifiedBy = req.VerifiedBy.Trim(), RecordedAt = now,
        };
        db.PregnancyTests.Add(rec);
        var counts = PregnancyTestRules.Qualifies(new PregnancyTest(req.SpecimenAt, req.Result, req.SensitivityMiuPerMl, req.Setting), program);
        audit.Append(caller.AsActor(patient.PrescriberId), "pregnancy-test.recorded", $"patient/{id}",
            audit.Data(new { rec.Id, rec.SpecimenAt, rec.Result, rec.SensitivityMiuPerMl, rec.Setting, rec.VerifiedBy }));
        if (req.Result == TestResult.Positive)
        {
            // A positive test is a suspected pregnancy: everything stops at once.
            await SafetyEndpoints.StopForPregnancyAsync(db, audit, caller, patient, now, "A positive pregnancy test was recorded.");
        }

        return Reply.Created(new PregnancyTestDto(rec.Id, rec.SpecimenAt, rec.SpecimenAt.InZone(program.Zone).Date, req.Result, rec.SensitivityMiuPerMl, req.Setting, rec.VerifiedBy, DecisionDto.From(counts)));
    }

    private static async Task<IResult> ListTests(HttpContext http, string id, IDbContextFactory<ImidCareDb> dbs, IClock clock, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var patient = await db.Patients.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct);
        if (patient is null || !await Access.CanSeePatientAsync(db, http.Caller(), patient, ct))
        {
            return (patient is null ? Problems.NotFound($"Patient '{id}'") : Problems.Forbidden("Not your patient.")).ToResult();
        }

        var now = clock.GetCurrentInstant();
        var f = (await PatientFacts.LoadAsync(db, id, null, now, ct))!;
        var tests = await db.PregnancyTests.AsNoTracking().Where(t => t.PatientId == id).ToListAsync(ct);
        var next = f.Category.CanGetPregnant()
            ? PregnancyTestRules.NextDue(f.Tests, f.Program, f.Enrollment.TherapyStart, Enum.Parse<MenstrualPattern>(patient.MenstrualPattern), now)
            : null;
        return Results.Json(new
        {
            tests = tests.OrderBy(t => t.SpecimenAt).Select(t =>
            {
                var rule = ToRule(t);
                return new PregnancyTestDto(t.Id, t.SpecimenAt, t.SpecimenAt.InZone(f.Program.Zone).Date, rule.Result, t.SensitivityMiuPerMl, rule.Setting, t.VerifiedBy,
                    DecisionDto.From(PregnancyTestRules.Qualifies(rule, f.Program)));
            }),
            nextDue = next is null ? null : new NextTestDto(next.DueOn, next.Overdue, next.IntervalDays, next.Source.Document, next.Source.Unverified),
            required = f.Category.CanGetPregnant(),
        }, Json.Options);
    }

    private static async Task<IResult> TakeSurvey(HttpContext http, string id, SurveyRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        return await Writes.RunAsync(http, gate, req, (db, audit, now) => TakeSurveyAsync(caller, id, req, db, audit, now, http.RequestAborted), scoped: true);
    }

    internal static async Task<Reply> TakeSurveyAsync(Caller caller, string id, SurveyRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        var patient = await db.Patients.FirstOrDefaultAsync(p => p.Id == id);
        if (patient is null)
        {
            return Problems.NotFound($"Patient '{id}'");
        }

        // The survey is the patient's own: prescribers may not answer it for them (facts §6.1, ASHP 2002).
        if (caller.PatientId != id)
        {
            return Problems.Forbidden("Only the patient takes their own survey.");
        }

        var enrollment = await db.Enrollments.FirstAsync(e => e.PatientId == id);
        var program = ProgramCatalog.Find(enrollment.ProgramId)!;
        var category = Enum.Parse<RiskCategory>(enrollment.Category);
        var evaluation = SurveyRules.Evaluate(req.Answers, category);
        var record = new SurveyRecord
        {
            Id = Ids.New("srv"), PatientId = id, ProgramId = program.Id, CompletedAt = now, CompletedOn = ProgramTime.Today(now, program.Zone),
            AnswersJson = AuditData.Of(req.Answers), Outcome = evaluation.Decision.Outcome.ToString(),
        };
        db.Surveys.Add(record);
        var opened = new List<HoldRecord>();
        foreach (var h in evaluation.Holds)
        {
            var hold = new HoldRecord
            {
                Id = Ids.New("hold"), PatientId = id, Code = h.Code, Why = h.Why, ClearedByList = string.Join(',', h.ClearedBy), OpenedAt = now,
            };
            db.Holds.Add(hold);
            opened.Add(hold);
        }

        audit.Append(caller.AsActor(), "survey.completed", $"patient/{id}",
            audit.Data(new { record.Id, answers = req.Answers, decision = DecisionDto.From(evaluation.Decision), holds = opened.Select(h => h.Code) }));
        return Reply.Created(new SurveyReply(record.Id, record.Outcome.ToLowerInvariant(), DecisionDto.From(evaluation.Decision),
            [.. opened.Select(h => new HoldDto(h.Id, h.Code, h.Why, [.. PatientFacts.Clearances(h).Select(c => c.ToString())], h.OpenedAt))]));
    }

    private static async Task<IResult> ClearHold(HttpContext http, string id, string holdId, ClearHoldRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        return await Writes.RunAsync(http, gate, req, (db, audit, now) => ClearHoldAsync(caller, id, holdId, req, db, audit, now, http.RequestAborted), scoped: true);
    }

    private static PregnancyTest ToRule(PregnancyTestRecord t) =>
        new(t.SpecimenAt, Enum.Parse<TestResult>(t.Result), t.SensitivityMiuPerMl, Enum.Parse<TestSetting>(t.Setting));

    internal static async Task<Reply> ClearHoldAsync(Caller caller, string id, string holdId, ClearHoldRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        // Who may act is settled before anything about the hold is revealed.
        var patient = await db.Patients.FirstOrDefaultAsync(p => p.Id == id, ct);
        if (patient is null)
        {
            return Problems.NotFound($"Patient '{id}'");
        }

        var mayAct = caller.IsStaff || (caller.IsPrescriberSide && await Access.CanSeePatientAsync(db, caller, patient, ct));
        if (!mayAct)
        {
            return Problems.Forbidden("Only the patient's prescriber or the program's safety staff clear a hold.");
        }

        var hold = await db.Holds.FirstOrDefaultAsync(h => h.Id == holdId && h.PatientId == id, ct);
        if (hold is null)
        {
            return Problems.NotFound($"Hold '{holdId}' of patient '{id}'");
        }

        if (hold.ClearedAt is not null)
        {
            return Problems.Conflict("The hold is already cleared.", $"Cleared at {hold.ClearedAt} by {hold.ClearedByActor}.");
        }

        // Each party does its own part (a prescriber counsels, safety staff review); the hold
        // lifts when every part named on it is done.
        var source = RuleSource.UnverifiedRule("Inference: a hold lifts when what it names is done (facts §6.1, Q2)", "I");
        var done = hold.SatisfiedList.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var newlyDone = new List<string>();
        var missing = new List<Reason>();
        foreach (var need in PatientFacts.Clearances(hold).Where(n => !done.Contains(n.ToString())))
        {
            var met = need switch
            {
                HoldClearance.PrescriberCounseling => caller.IsPrescriberSide && req.CounselingAttested,
                HoldClearance.SafetyReview => caller.Role is Roles.Safety or Roles.Admin,
                HoldClearance.NegativePregnancyTestAfterHold => PregnancyTestRules.CountingTestAfter(
                    (await db.PregnancyTests.AsNoTracking().Where(t => t.PatientId == id && t.SpecimenAt > hold.OpenedAt).ToListAsync(ct))
                        .Select(ToRule),
                    (await PatientFacts.ProgramOfAsync(db, id, ct))!, hold.OpenedAt, now),
                _ => false,
            };
            if (met)
            {
                newlyDone.Add(need.ToString());
            }
            else
            {
                missing.Add(new Reason($"REMS.HOLD_NEEDS_{need.ToString().ToUpperInvariant()}", $"Still needed: {SurveyRules.Describe([need])}.", source));
            }
        }

        if (newlyDone.Count == 0 && missing.Count > 0)
        {
            var refusal = Decision.HoldFor([.. missing]);
            audit.Append(caller.AsActor(patient.PrescriberId), "hold.clear-refused", $"patient/{id}", audit.Data(new { holdId, decision = DecisionDto.From(refusal) }));
            return Problems.Refused(refusal, "The hold cannot be cleared yet.");
        }

        hold.SatisfiedList = string.Join(',', done.Concat(newlyDone));
        if (missing.Count > 0)
        {
            audit.Append(caller.AsActor(patient.PrescriberId), "hold.progress", $"patient/{id}", audit.Data(new { holdId, hold.Code, done = newlyDone, req.Note }));
            return Reply.Ok(new { cleared = false, hold = new HoldDto(hold.Id, hold.Code, hold.Why, [.. PatientFacts.Clearances(hold).Select(c => c.ToString())], hold.OpenedAt), remaining = DecisionDto.From(Decision.HoldFor([.. missing])) });
        }

        hold.ClearedAt = now;
        hold.ClearedByActor = caller.Id;
        hold.ClearNote = req.Note;
        audit.Append(caller.AsActor(patient.PrescriberId), "hold.cleared", $"patient/{id}", audit.Data(new { holdId, hold.Code, req.Note }));
        return Reply.Ok(new { cleared = true, hold = new HoldDto(hold.Id, hold.Code, hold.Why, [.. PatientFacts.Clearances(hold).Select(c => c.ToString())], hold.OpenedAt) });
    }
}
