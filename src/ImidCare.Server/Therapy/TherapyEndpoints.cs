using System.Text;
using System.Text.Json;
using ImidCare.Rules.Calendar;
using ImidCare.Rules.Response;
using ImidCare.Rules.Therapy;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Web;
using ImidCare.Server.Rems;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Therapy;

/// <summary>
/// A whole treatment plan. PUT replaces the patient's plan with this one: holds, dialysis days and
/// the HIV flag left out mean none (no hold, no dialysis, not HIV-positive), so a caller that
/// changes one field sends the others as GET returned them. The office page, which edits none of
/// those three, carries them over from the plan it replaces.
/// </summary>
public sealed record PlanRequest(
    string RegimenId,
    LocalDate Start,
    LocalTime UsualDoseTime,
    string TimeZone,
    decimal? DoseMg = null,
    IReadOnlyList<Hold>? Holds = null,
    IReadOnlyList<LocalDate>? DialysisDays = null,
    bool HivPositive = false,
    int DoseIntervalDays = 1);

public sealed record PlanDto(string Id, string PatientId, string RegimenId, string RegimenName, LocalDate Start, decimal? DoseMg, int DoseIntervalDays, LocalTime UsualDoseTime, string TimeZone,
    IReadOnlyList<Hold> Holds, IReadOnlyList<LocalDate> DialysisDays, bool HivPositive, bool RegimenInUsLabel, string SetBy, Instant SetAt);

public sealed record DoseEntryRequest(LocalDate Date, DiaryStatus Status, int Capsules = 1);

public sealed record MissedDoseAnswer(string Action, string Message, Instant LatestCatchUp, DecisionDto Decision);

/// <summary>What a day's diary entry said before a correction replaced it.</summary>
public sealed record DoseEntryBefore(string Status, int Capsules, string RecordedBy, Instant RecordedAt);

/// <summary>A diary entry as stored; <see cref="Corrected"/> is the entry it replaced, when the day had one (the reply is then 200, not 201).</summary>
public sealed record DoseEntryReply(string Id, LocalDate Date, string Status, int Capsules, string? Warning, MissedDoseAnswer? MissedDose, DoseEntryBefore? Corrected = null);

/// <summary>
/// Blood counts as the lab reports them. The lower limits of normal default to common adult
/// reference values (ANC 1,500/mcL, platelets 150,000/mcL, hemoglobin 12.0 g/dL); send the lab's own
/// when they differ, since CTCAE grade 1 is "below LLN".
/// </summary>
public sealed record LabRequest(LocalDate TakenOn, int? Anc = null, int? Platelets = null, decimal? HemoglobinGdL = null, decimal? TemperatureC = null,
    bool FeverSustainedOverOneHour = false, string? HoldingFor = null, bool NeutropeniaIsOnlyToxicity = true,
    decimal AncLowerLimit = 1500m, decimal PlateletLowerLimit = 150_000m, decimal HemoglobinLowerLimit = 12.0m,
    int? PriorNeutropeniaHolds = null, int? AncLowForDays = null);

public sealed record LabReply(string Id, LocalDate TakenOn, DoseAdvice Advice, IReadOnlyList<CtcaeGrade> Grades);

public sealed record MissedDoseRequest(Drug Drug, LocalTime UsualDoseTime, string TimeZone, Instant? Now = null, bool AlreadyTaken = false);

public sealed record InteractionRequest(Drug Drug, IReadOnlyList<string> Medications);

public sealed record TriageRequest(Drug Drug, IReadOnlyList<string>? SymptomIds = null, string? Text = null);

public sealed record ResponseRequest(MyelomaAssessment Baseline, IReadOnlyList<MyelomaAssessment> Assessments, bool OnInterferingAntibody = false);

/// <summary>A plan as the calculator takes it (the engine's TreatmentPlan, with plain lists).</summary>
public sealed record PlanInput(string RegimenId, LocalDate Start, int AgeYears, decimal? DoseMg = null, IReadOnlyList<Hold>? Holds = null,
    IReadOnlyList<LocalDate>? DialysisDays = null, int DoseIntervalDays = 1)
{
    public TreatmentPlan ToRule() => new(RegimenId, Start, AgeYears, DoseMg, [.. Holds ?? []], [.. DialysisDays ?? []], DoseIntervalDays);
}

public sealed record CalendarRequest(PlanInput Plan, LocalDate Through);

public sealed record CaregiverRequest(string Username);

/// <summary>
/// A calendar subscription as its list shows it: never the address (the secret) nor its hash.
/// <see cref="MadeBy"/> (the maker's display name when they made it) and <see cref="MadeByRole"/>
/// are absent for a feed made before makers were recorded; <see cref="Mine"/> says the caller made it.
/// </summary>
/// <param name="Answering">Whether the address shows the calendar now: not stopped, and its maker can still see the patient.</param>
public sealed record CalendarFeedDto(string Id, string? MadeBy, string? MadeByRole, bool Mine, Instant CreatedAt, Instant? RevokedAt, bool Answering);

/// <summary>
/// The treatment companion's API: the engine's calculators for any signed-in clinician or patient,
/// and each patient's plan, calendar, diary, labs and response — scoped like the REMS data, plus
/// caregivers the patient granted.
/// </summary>
public static class TherapyEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        // Calculators: pure rules, no patient data.
        api.MapGet("/therapy/regimens", () => Results.Json(Regimens.All, Json.Options)).WithSummary("Regimens as data, with sources.");
        api.MapPost("/therapy/calendar", (CalendarRequest r, HttpRequest http) => Guard(() => CalendarResult(CycleCalendar.Build(r.Plan.ToRule(), r.Through), http, "plan")))
            .WithSummary("Cycle calendar for a plan (JSON, or .ics with ?format=ics).");
        api.MapPost("/therapy/dose-check", (CountCheck c) => Guard(() => Results.Json(DoseModification.EvaluateCounts(c), Json.Options)))
            .WithSummary("Hold, restart or reduce from ANC/platelets, with the label citation.");
        api.MapPost("/therapy/adverse-event-check", (AdverseEventCheck c) => Guard(() => Results.Json(NonHematologicModification.Evaluate(c), Json.Options)));
        api.MapPost("/therapy/starting-dose", (StartingDoseInput i) => Guard(() => Results.Json(StartingDoses.Compute(i), Json.Options)));
        api.MapPost("/therapy/missed-dose", (MissedDoseRequest r, IClock clock) => Guard(() =>
            DateTimeZoneProviders.Tzdb.GetZoneOrNull(r.TimeZone) is { } zone
                ? Results.Json(MissedDose.EvaluateLatest(r.Drug, r.UsualDoseTime, zone, r.Now ?? clock.GetCurrentInstant(), r.AlreadyTaken), Json.Options)
                : Problems.Validation("timeZone", $"'{r.TimeZone}' is not an IANA time zone such as America/New_York.").ToResult()))
            .WithSummary("The 12-hour rule: take now, or skip and never double.");
        api.MapPost("/therapy/interactions", (InteractionRequest r) => Guard(() => Results.Json(Interactions.Check(r.Drug, r.Medications), Json.Options)));
        api.MapPost("/therapy/triage", (TriageRequest r) => Guard(() => Triage(r)))
            .WithSummary("Medication Guide symptoms → emergency now / stop and call / call / mention at next visit.");
        api.MapPost("/therapy/eligibility", (MyelomaHistory h) => Guard(() => Results.Json(PomalystEligibility.Check(h), Json.Options)));
        api.MapPost("/therapy/response", (ResponseRequest r) => Guard(() => Results.Json(ImwgResponse.Evaluate(r.Baseline, r.Assessments, r.OnInterferingAntibody), Json.Options)))
            .WithSummary("IMWG 2016 response and relapse from serial M-protein and free light chains.");

        // A patient's own companion data.
        api.MapPut("/patients/{id}/plan", SetPlan).WithSummary("Set the treatment plan (prescriber).");
        api.MapGet("/patients/{id}/plan", GetPlan);
        api.MapGet("/patients/{id}/today", GetToday).WithSummary("Today's dose: take, rest day or hold; and the missed-dose answer.");
        api.MapGet("/patients/{id}/calendar", GetCalendar).WithSummary("The cycle calendar through a date (JSON, or .ics with ?format=ics).");
        api.MapPost("/patients/{id}/calendar-feed", CreateFeed).WithSummary("A secret subscription address for a phone calendar.");
        api.MapGet("/feeds/{token}.ics", Feed).AllowAnonymous().WithSummary("The calendar subscription (the address is the credential).");
        api.MapGet("/patients/{id}/calendar-feeds", ListFeeds).WithSummary("Calendar subscriptions: every one for the patient, the caller's own for anyone else.");
        api.MapDelete("/patients/{id}/calendar-feeds/{feedId}", RevokeFeed).WithSummary("End one calendar subscription (the patient, or whoever made it).");
        api.MapGet("/patients/{id}/monitoring", GetMonitoring).WithSummary("What is due when: labs from the label and the REMS pregnancy tests (JSON or ?format=ics).");
        api.MapPost("/patients/{id}/doses", RecordDose).WithSummary("Dose diary entry (patient or granted caregiver).");
        api.MapGet("/patients/{id}/doses", GetDiary).WithSummary("Diary summary: capsules taken against dispensed.");
        api.MapPost("/patients/{id}/labs", RecordLab).WithSummary("Blood counts → dose advice (hold, restart dose) with citation, and CTCAE grades.");
        api.MapGet("/patients/{id}/labs", GetLabs);
        api.MapPost("/patients/{id}/myeloma-assessments", RecordAssessment);
        api.MapGet("/patients/{id}/response", GetResponse).WithSummary("IMWG response over the patient's assessments.");
        api.MapPost("/patients/{id}/caregivers", Grant).WithSummary("The patient grants a caregiver access.");
        api.MapDelete("/patients/{id}/caregivers/{grantId}", Revoke).WithSummary("The patient revokes a caregiver's access.");
        api.MapGet("/patients/{id}/caregivers", ListGrants);
    }

    /// <summary>The engine refuses impossible input with ArgumentException naming the field: a 400, never a 500.</summary>
    private static IResult Guard(Func<IResult> run)
    {
        try
        {
            return run();
        }
        catch (ArgumentException e)
        {
            return Problems.FromArgument(e).ToResult();
        }
        catch (KeyNotFoundException e)
        {
            return Problems.Validation("regimenId", e.Message).ToResult();
        }
    }

    private static IResult CalendarResult(TreatmentCalendar calendar, HttpRequest http, string key)
    {
        if (http.Query["format"] == "ics")
        {
            var regimen = Regimens.Get(calendar.RegimenId);
            var ics = CalendarExport.ToICalendar(calendar, key, regimen.Name, http.HttpContext.RequestServices.GetRequiredService<IClock>().GetCurrentInstant());
            return Results.Text(ics, "text/calendar", Encoding.UTF8);
        }

        return Results.Json(calendar, Json.Options);
    }

    private static async Task<(Patient? Patient, IResult? Refusal)> ReadableAsync(ImidCareDb db, HttpContext http, string id)
    {
        var (patient, refusal) = await SeenByAsync(db, http.Caller(), id, http.RequestAborted);
        return (patient, refusal?.ToResult());
    }

    /// <summary>The patient when <paramref name="caller"/> may see them; otherwise the refusal (404 unknown, 403 not theirs).</summary>
    private static async Task<(Patient? Patient, Reply? Refusal)> SeenByAsync(ImidCareDb db, Caller caller, string id, CancellationToken ct)
    {
        var patient = await db.Patients.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct);
        if (patient is null)
        {
            return (null, Problems.NotFound($"Patient '{id}'"));
        }

        return await Access.CanSeePatientAsync(db, caller, patient, ct)
            ? (patient, null)
            : (null, Problems.Forbidden("You may see only your own patients, or a patient who granted you access."));
    }

    private static async Task<(Patient? Patient, TreatmentPlanRecord? Plan, IResult? Refusal)> PlanForAsync(ImidCareDb db, HttpContext http, string id)
    {
        var (patient, refusal) = await ReadableAsync(db, http, id);
        if (patient is null)
        {
            return (null, null, refusal);
        }

        var plan = await TherapyService.PlanAsync(db, id, http.RequestAborted);
        return plan is null ? (null, null, Problems.NotFound($"A treatment plan for patient '{id}'").ToResult()) : (patient, plan, null);
    }

    private static PlanDto ToDto(TreatmentPlanRecord r)
    {
        var regimen = Regimens.Get(r.RegimenId);
        return new PlanDto(r.Id, r.PatientId, r.RegimenId, regimen.Name, r.Start, r.DoseMg, r.DoseIntervalDays, r.UsualDoseTime, r.TimeZoneId,
            TherapyService.Holds(r), TherapyService.DialysisDays(r), r.HivPositive, regimen.InUsLabel, r.SetBy, r.SetAt);
    }

    /// <summary>The field checks of a plan, shared by the API and the web form.</summary>
    internal static Reply? ValidatePlan(PlanRequest req)
    {
        if (!Regimens.TryGet(req.RegimenId, out _))
        {
            return Problems.Validation("regimenId", $"Unknown regimen; use one of {string.Join(", ", Regimens.All.Select(r => r.Id))}.");
        }

        if (DateTimeZoneProviders.Tzdb.GetZoneOrNull(req.TimeZone) is null)
        {
            return Problems.Validation("timeZone", $"'{req.TimeZone}' is not an IANA time zone such as America/New_York.");
        }

        if (req.DoseMg is <= 0 or > 1000)
        {
            return Problems.Validation("doseMg", "A dose is between 0 and 1000 mg.");
        }

        if (req.DoseIntervalDays is < 1 or > 7)
        {
            return Problems.Validation("doseIntervalDays", "The dosing interval is 1 (every dosing day) to 7 days; 2 is every 48 hours.");
        }

        return null;
    }

    private static async Task<IResult> SetPlan(HttpContext http, string id, PlanRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        if (ValidatePlan(req) is { } invalid)
        {
            return invalid.ToResult();
        }

        return await Writes.RunAsync(http, gate, req, (db, audit, now) => SetPlanAsync(caller, id, req, db, audit, now, http.RequestAborted), scoped: true);
    }

    internal static async Task<Reply> SetPlanAsync(Caller caller, string id, PlanRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        var regimen = Regimens.Get(req.RegimenId);
        var patient = await db.Patients.FirstOrDefaultAsync(p => p.Id == id);
        if (patient is null)
        {
            return Problems.NotFound($"Patient '{id}'");
        }

        if (!caller.IsPrescriberSide || !await Access.CanSeePatientAsync(db, caller, patient, ct))
        {
            return Problems.Forbidden("The plan is set by the patient's prescriber.");
        }

        // A regimen of another medicine would have the patient's Today page say "take 4 mg" of a
        // capsule they do not have: the plan must be for the medicine of one of the patient's REMS programs.
        var drugs = await TherapyService.EnrolledDrugsAsync(db, id, ct);
        if (!drugs.Contains(regimen!.Drug))
        {
            return Problems.Validation("regimenId", drugs.Count == 0
                ? $"{regimen.Name} is a {Name(regimen.Drug)} regimen, and the patient is enrolled in no REMS program for it; a plan is set for an enrolled patient's medicine."
                : $"{regimen.Name} is a {Name(regimen.Drug)} regimen, but the patient's REMS program is for {string.Join(" or ", drugs.Select(Name))}; "
                    + $"use one of {string.Join(", ", TherapyService.RegimensFor(drugs).Select(r => r.Id))}.");
        }

        var plan = new TreatmentPlanRecord
        {
            Id = Ids.New("plan"), PatientId = id, RegimenId = regimen.Id, Start = req.Start, DoseMg = req.DoseMg, UsualDoseTime = req.UsualDoseTime,
            TimeZoneId = req.TimeZone, HoldsJson = JsonSerializer.Serialize(req.Holds ?? [], Json.Options),
            DialysisDaysJson = JsonSerializer.Serialize(req.DialysisDays ?? [], Json.Options), HivPositive = req.HivPositive,
            DoseIntervalDays = req.DoseIntervalDays, SetBy = caller.Id, SetAt = now,
        };
        try
        {
            // Building the calendar once validates holds and dates with the engine's own checks.
            _ = TherapyService.Calendar(plan, patient, req.Start.PlusDays(regimen.CycleLengthDays));
        }
        catch (ArgumentException e)
        {
            return Problems.FromArgument(e, "holds");
        }

        db.TreatmentPlans.Add(plan);
        audit.Append(caller.AsActor(patient.PrescriberId), "plan.set", $"patient/{id}", audit.Data(new { plan.Id, plan.RegimenId, plan.Start, plan.DoseMg, plan.DoseIntervalDays, req.Holds, req.DialysisDays, plan.HivPositive }));
        return Reply.Ok(ToDto(plan));
    }

    private static string Name(Drug drug) => drug.ToString().ToLowerInvariant();

    /// <summary>
    /// A symptom id that is not on the chosen medicine's list is refused by name: triaged, it would
    /// read "could not match" even for another medicine's fever, which a caller could pass on as
    /// reassurance. Free text is matched against the chosen medicine's list as before.
    /// </summary>
    private static IResult Triage(TriageRequest r)
    {
        var result = SymptomTriage.Triage(r.Drug, r.SymptomIds, r.Text);
        if (result.UnknownSymptomIds.IsEmpty)
        {
            return Results.Json(result, Json.Options);
        }

        var elsewhere = SymptomTriage.ListsHolding(result.UnknownSymptomIds).Select(Name).ToList();
        return Problems.Validation("symptomIds",
            $"Not on the {Name(r.Drug)} list: {string.Join(", ", result.UnknownSymptomIds)}"
            + (elsewhere.Count > 0 ? $" (on the list for {string.Join(" and ", elsewhere)})" : string.Empty)
            + $". Use the ids of the {Name(r.Drug)} list: {string.Join(", ", SymptomTriage.For(r.Drug).Select(s => s.Id))}.").ToResult();
    }

    private static async Task<IResult> GetPlan(HttpContext http, string id, IDbContextFactory<ImidCareDb> dbs)
    {
        await using var db = await dbs.CreateDbContextAsync(http.RequestAborted);
        var (_, plan, refusal) = await PlanForAsync(db, http, id);
        return refusal ?? Results.Json(ToDto(plan!), Json.Options);
    }

    private static async Task<IResult> GetToday(HttpContext http, string id, IDbContextFactory<ImidCareDb> dbs, IClock clock)
    {
        await using var db = await dbs.CreateDbContextAsync(http.RequestAborted);
        var (patient, plan, refusal) = await PlanForAsync(db, http, id);
        return refusal ?? Results.Json(await TherapyService.TodayAsync(db, plan!, patient!, clock.GetCurrentInstant(), http.RequestAborted), Json.Options);
    }

    /// <summary>Query dates come as ISO text; a bad one is a 400 naming the parameter.</summary>
    private static bool TryQueryDate(string? text, out LocalDate? date, out IResult? refusal)
    {
        date = null;
        refusal = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        var parsed = NodaTime.Text.LocalDatePattern.Iso.Parse(text);
        if (parsed.Success)
        {
            date = parsed.Value;
            return true;
        }

        refusal = Problems.Validation("through", $"'{text}' is not a date such as 2026-12-31.").ToResult();
        return false;
    }

    private static async Task<IResult> GetCalendar(HttpContext http, string id, string? through, IDbContextFactory<ImidCareDb> dbs, IClock clock)
    {
        if (!TryQueryDate(through, out var throughDate, out var bad))
        {
            return bad!;
        }

        await using var db = await dbs.CreateDbContextAsync(http.RequestAborted);
        var (patient, plan, refusal) = await PlanForAsync(db, http, id);
        if (refusal is not null)
        {
            return refusal;
        }

        var until = throughDate ?? TherapyService.Today(plan!, clock.GetCurrentInstant()).PlusDays(90);
        return Guard(() => CalendarResult(TherapyService.Calendar(plan!, patient!, until), http.Request, id));
    }

    private static async Task<IResult> CreateFeed(HttpContext http, string id, WriteGate gate)
    {
        var caller = http.Caller();
        return await Writes.RunAsync(http, gate, new { id }, (db, audit, now) => CreateFeedAsync(caller, id, $"{http.Request.Scheme}://{http.Request.Host}", db, audit, now, http.RequestAborted), scoped: true);
    }

    internal static async Task<Reply> CreateFeedAsync(Caller caller, string id, string baseUrl, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        var patient = await db.Patients.FirstOrDefaultAsync(p => p.Id == id);
        if (patient is null || !await Access.CanSeePatientAsync(db, caller, patient, ct))
        {
            return patient is null ? Problems.NotFound($"Patient '{id}'") : Problems.Forbidden("Not your patient.");
        }

        var token = Secrets.NewToken();
        var feed = new CalendarFeed
        {
            TokenHash = Secrets.Hash(token), Id = Ids.New("feed"), PatientId = id, CreatedAt = now,
            MadeById = caller.Id, MadeByRole = caller.Role, MadeByName = string.IsNullOrWhiteSpace(caller.DisplayName) ? null : caller.DisplayName,
        };
        db.CalendarFeeds.Add(feed);
        audit.Append(caller.AsActor(), "calendar-feed.created", $"patient/{id}", audit.Data(new { feed.Id }));
        return Reply.Created(new { feed.Id, url = $"{baseUrl}/api/v1/feeds/{token}.ics", note = "Anyone with this address can read the calendar; keep it private." });
    }

    private static async Task<IResult> ListFeeds(HttpContext http, string id, IDbContextFactory<ImidCareDb> dbs)
    {
        await using var db = await dbs.CreateDbContextAsync(http.RequestAborted);
        var (patient, refusal) = await ReadableAsync(db, http, id);
        return refusal ?? Results.Json(await FeedsAsync(db, http.Caller(), patient!, http.RequestAborted), Json.Options);
    }

    /// <summary>
    /// The subscriptions a caller who may see the patient is shown, newest first. The patient sees
    /// every one: each is a standing copy of their treatment calendar, and they decide who keeps
    /// one. Anyone else (caregiver, prescriber, office key, staff) sees only those they made: who
    /// else subscribed to a patient's calendar, and when, is the patient's business, and nobody but
    /// the patient and a feed's maker may end one. Staff who look into a leaked address read the
    /// audit trail, whose calendar-feed records name the feed and who made or ended it.
    /// </summary>
    /// <param name="patient">A patient <paramref name="caller"/> has just been found to see: their own feeds answer while not stopped, with no maker to look up.</param>
    internal static async Task<IReadOnlyList<CalendarFeedDto>> FeedsAsync(ImidCareDb db, Caller caller, Patient patient, CancellationToken ct)
    {
        var feeds = db.CalendarFeeds.AsNoTracking().Where(f => f.PatientId == patient.Id);
        if (caller.PatientId != patient.Id)
        {
            feeds = feeds.Where(f => f.MadeById == caller.Id);
        }

        var list = new List<CalendarFeedDto>();
        foreach (var f in (await feeds.ToListAsync(ct)).OrderByDescending(f => f.CreatedAt).ThenBy(f => f.Id, StringComparer.Ordinal))
        {
            var answering = f.RevokedAt is null && (f.MadeById == caller.Id || await MakerCanSeeAsync(db, f, patient, ct));
            list.Add(ToDto(f, caller, answering));
        }

        return list;
    }

    private static CalendarFeedDto ToDto(CalendarFeed f, Caller caller, bool answering) =>
        new(f.Id, f.MadeByName, f.MadeByRole, f.MadeById == caller.Id, f.CreatedAt, f.RevokedAt, answering);

    /// <summary>
    /// Whether a feed's maker could still read the patient's calendar themself, asked as every API
    /// read asks it of the maker as the database describes them now. A removed office key, an
    /// account no longer there or a patient moved to another practice's prescriber takes the
    /// maker's copies with it, as a caregiver's revoked grant does. A feed made before makers were
    /// recorded has none to ask about: true.
    /// </summary>
    private static async Task<bool> MakerCanSeeAsync(ImidCareDb db, CalendarFeed feed, Patient patient, CancellationToken ct) =>
        feed.MadeById is not { } makerId
        || (await ImidCareAuthHandler.CallerByIdAsync(db, makerId, ct) is { } maker && await Access.CanSeePatientAsync(db, maker, patient, ct));

    private static async Task<IResult> RevokeFeed(HttpContext http, string id, string feedId, WriteGate gate)
    {
        var caller = http.Caller();
        return await Writes.RunAsync(http, gate, new { id, feedId }, (db, audit, now) => RevokeFeedAsync(caller, id, feedId, db, audit, now, http.RequestAborted), scoped: true);
    }

    /// <summary>
    /// Ends one subscription: its address answers 404 from the next request on. The patient ends any
    /// of theirs; anyone else who may see the patient ends only one they made (403 for another's).
    /// Ending an ended feed changes nothing and says when it ended (200, no second audit record).
    /// </summary>
    internal static async Task<Reply> RevokeFeedAsync(Caller caller, string id, string feedId, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        if ((await SeenByAsync(db, caller, id, ct)).Refusal is { } refusal)
        {
            return refusal;
        }

        var feed = await db.CalendarFeeds.FirstOrDefaultAsync(f => f.Id == feedId && f.PatientId == id, ct);
        if (feed is null)
        {
            return Problems.NotFound($"Calendar feed '{feedId}'");
        }

        if (caller.PatientId != id && feed.MadeById != caller.Id)
        {
            return Problems.Forbidden("A calendar subscription is ended by the patient, or by whoever made it.");
        }

        if (feed.RevokedAt is null)
        {
            feed.RevokedAt = now;
            audit.Append(caller.AsActor(), "calendar-feed.revoked", $"patient/{id}", audit.Data(new { feed.Id, madeBy = feed.MadeById }));
        }

        return Reply.Ok(ToDto(feed, caller, answering: false));
    }

    private static async Task<IResult> Feed(HttpContext http, string token, IDbContextFactory<ImidCareDb> dbs, IClock clock)
    {
        await using var db = await dbs.CreateDbContextAsync(http.RequestAborted);
        var hash = Secrets.Hash(token);
        var feed = await db.CalendarFeeds.AsNoTracking().FirstOrDefaultAsync(f => f.TokenHash == hash && f.RevokedAt == null, http.RequestAborted);
        var patient = feed is null ? null : await db.Patients.AsNoTracking().FirstOrDefaultAsync(p => p.Id == feed.PatientId, http.RequestAborted);
        if (patient is not null && !await MakerCanSeeAsync(db, feed!, patient, http.RequestAborted))
        {
            patient = null;
        }

        var plan = patient is null ? null : await TherapyService.PlanAsync(db, patient.Id, http.RequestAborted);
        if (patient is null || plan is null)
        {
            return Problems.NotFound("Calendar feed").ToResult();
        }

        var now = clock.GetCurrentInstant();
        var through = TherapyService.Today(plan, now).PlusDays(180);
        var calendar = TherapyService.Calendar(plan, patient, through);
        var due = await TherapyService.MonitoringAsync(db, plan, patient, through, now, http.RequestAborted);
        var events = CalendarExport.ToEvents(calendar, patient.Id, Regimens.Get(plan.RegimenId).Name).Concat(CalendarExport.ToEvents(due, patient.Id));
        return Results.Text(ICalendarWriter.Write(events, now, calendarName: "ImidCare treatment"), "text/calendar", Encoding.UTF8);
    }

    private static async Task<IResult> GetMonitoring(HttpContext http, string id, string? through, IDbContextFactory<ImidCareDb> dbs, IClock clock)
    {
        if (!TryQueryDate(through, out var throughDate, out var bad))
        {
            return bad!;
        }

        await using var db = await dbs.CreateDbContextAsync(http.RequestAborted);
        var (patient, plan, refusal) = await PlanForAsync(db, http, id);
        if (refusal is not null)
        {
            return refusal;
        }

        var now = clock.GetCurrentInstant();
        var due = await TherapyService.MonitoringAsync(db, plan!, patient!, throughDate ?? TherapyService.Today(plan!, now).PlusDays(180), now, http.RequestAborted);
        return http.Request.Query["format"] == "ics"
            ? Results.Text(ICalendarWriter.Write(CalendarExport.ToEvents(due, id), now, calendarName: "ImidCare monitoring"), "text/calendar", Encoding.UTF8)
            : Results.Json(due, Json.Options);
    }

    private static async Task<IResult> RecordDose(HttpContext http, string id, DoseEntryRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        if (req.Capsules is < 0 or > 10)
        {
            return Problems.Validation("capsules", "Capsules taken at one time are between 0 and 10.").ToResult();
        }

        return await OnceMoreIfTheDayWasTakenAsync(() =>
            Writes.RunAsync(http, gate, req, (db, audit, now) => RecordDoseAsync(caller, id, req, db, audit, now, http.RequestAborted), scoped: true));
    }

    /// <summary>
    /// Runs a diary write (<see cref="RecordDoseAsync"/> through the write gate) once more when the
    /// database refused its new entry because the day had one by then (the unique index on patient
    /// and day). The write gate's own writers never race each other for a day: on PostgreSQL every
    /// node's batch holds the audit chain's advisory lock from before its first read, and on SQLite
    /// the one writer's transaction holds the file's write lock. So the row that won was committed
    /// by a writer outside the gate (`psql`, an import) between the look and the insert. The gate
    /// has rolled the failed request back whole (its savepoint, or its batch of one), with its audit
    /// record and any idempotent reply it stored, and handed the error to its caller, who decides,
    /// as the CDS Hooks token check does for a jti another node recorded first.
    /// Retried rather than answered 409: the diary's rule already says what a second entry for a
    /// day is, a correction of the first, so the server applies it itself; asking the patient to
    /// send it again would only give the same result. The retry reads the day afresh, finds the
    /// winner's row and corrects it (200, `dose.corrected`, the winner's values as <c>corrected</c>).
    /// Once is enough: the retry updates the row it found, which the index cannot refuse.
    /// </summary>
    internal static async Task<T> OnceMoreIfTheDayWasTakenAsync<T>(Func<Task<T>> write)
    {
        try
        {
            return await write();
        }
        catch (DbUpdateException e) when (DayWasTaken(e))
        {
            return await write();
        }
    }

    /// <summary>
    /// A diary entry refused by the unique index on (PatientId, Date): SQLite's SQLITE_CONSTRAINT_UNIQUE,
    /// PostgreSQL's 23505. Only a new entry can be (a correction keeps its patient and day); the
    /// entries' states are not asked, as the gate has cleared its change tracker by the time the
    /// error reaches the caller.
    /// </summary>
    internal static bool DayWasTaken(DbUpdateException e) =>
        e.Entries.Any(x => x.Entity is DoseEntryRecord) && e.InnerException switch
        {
            Microsoft.Data.Sqlite.SqliteException s => s.SqliteErrorCode == 19 && s.SqliteExtendedErrorCode == 2067,
            Npgsql.PostgresException p => p.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
            _ => false,
        };

    internal static async Task<Reply> RecordDoseAsync(Caller caller, string id, DoseEntryRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        var patient = await db.Patients.FirstOrDefaultAsync(p => p.Id == id);
        if (patient is null)
        {
            return Problems.NotFound($"Patient '{id}'");
        }

        var mayWrite = caller.PatientId == id || (caller.Role == Roles.Caregiver && await TherapyService.CaregiverMaySeeAsync(db, caller.Id, id, ct));
        if (!mayWrite)
        {
            return Problems.Forbidden("The dose diary is kept by the patient or a caregiver they granted.");
        }

        if (req.Capsules is < 0 or > 10)
        {
            return Problems.Validation("capsules", "Capsules taken at one time are between 0 and 10.");
        }

        if (req.Status == DiaryStatus.Taken && req.Capsules == 0)
        {
            // The diary's reconciliation refuses a "taken" with no capsule, so the entry is refused at the door.
            return Problems.Validation("capsules", "A dose taken is at least one capsule.");
        }

        var plan = await TherapyService.PlanAsync(db, id, ct);
        if (plan is not null && req.Date > TherapyService.Today(plan, now))
        {
            return Problems.Validation("date", "A dose cannot be recorded for a future day.");
        }

        if (plan is not null && req.Date < TherapyService.Today(plan, now).PlusDays(-DoseDiary.BackdateDays))
        {
            return Problems.Validation("date", $"A dose can be recorded up to {DoseDiary.BackdateDays} days back; tell your care team about anything older.");
        }

        if (plan is not null && req.Date < plan.Start)
        {
            return Problems.Validation("date", "That day is before the treatment started.");
        }

        // One entry per day: a second one for a day corrects the first (a mis-tap, a missed dose
        // taken after all), so the day is counted once. The entry is changed in place and the audit
        // trail, which is append-only, keeps what it said before. A day has at most one row (the
        // unique index; migration OneDoseEntryPerDay folded the days that had several).
        var previous = await db.DoseEntries.SingleOrDefaultAsync(d => d.PatientId == id && d.Date == req.Date, ct);
        var status = req.Status.ToString().ToLowerInvariant();
        var capsules = req.Status == DiaryStatus.Taken ? req.Capsules : 0;
        DoseEntryRecord entry;
        DoseEntryBefore? before = null;
        if (previous is null)
        {
            entry = new DoseEntryRecord { Id = Ids.New("dose"), PatientId = id, Date = req.Date, Status = status, Capsules = capsules, RecordedBy = caller.Id, RecordedAt = now };
            db.DoseEntries.Add(entry);
            audit.Append(caller.AsActor(id), "dose.recorded", $"patient/{id}", audit.Data(new { entry.Id, entry.Date, entry.Status, entry.Capsules }));
        }
        else
        {
            before = new DoseEntryBefore(previous.Status, previous.Capsules, previous.RecordedBy, previous.RecordedAt);
            entry = previous;
            entry.Status = status;
            entry.Capsules = capsules;
            entry.RecordedBy = caller.Id;
            entry.RecordedAt = now;
            audit.Append(caller.AsActor(id), "dose.corrected", $"patient/{id}", audit.Data(new { entry.Id, entry.Date, entry.Status, entry.Capsules, was = before }));
        }

        var takenBefore = before?.Status == "taken";

        // A day recorded as missed gets the missed-dose rule for that day: within 12 h take it now,
        // later skip it. The day's entry is now this one, so a "taken" it replaced no longer counts as taken.
        MissedDoseAdvice? advice = null;
        if (plan is not null && req.Status != DiaryStatus.Taken)
        {
            var day = TherapyService.Calendar(plan, patient, req.Date).Days.FirstOrDefault(d => d.Date == req.Date);
            advice = day?.Kind == DayKind.Dose ? MissedDose.Evaluate(Regimens.Get(plan.RegimenId).Drug, req.Date, plan.UsualDoseTime, TherapyService.Zone(plan), now, false) : null;
        }

        // Whoever corrects a "taken" (the patient, or a caregiver who did not see the dose) is
        // reminded that a dose is never doubled: the advice follows the new entry, not a second dose.
        var warning = !takenBefore ? null
            : req.Status == DiaryStatus.Taken
                ? $"This day was already recorded as taken ({Words.Capsules(before!.Capsules)}); the entry now says {Words.Capsules(capsules)}. Never take two doses in one day: if a second dose was taken, call the care team."
                : $"This day was recorded as taken before; it now says {status}. If the dose was taken after all, do not take another one: never take two doses in one day.";
        var reply = new DoseEntryReply(
            entry.Id, entry.Date, entry.Status, entry.Capsules, warning,
            advice is null ? null : new MissedDoseAnswer(advice.Action.ToString(), advice.PatientMessage, advice.LatestCatchUp, DecisionDto.From(advice.Decision)),
            before);
        return before is null ? Reply.Created(reply) : Reply.Ok(reply);
    }

    private static async Task<IResult> GetDiary(HttpContext http, string id, int? countedRemaining, IDbContextFactory<ImidCareDb> dbs)
    {
        await using var db = await dbs.CreateDbContextAsync(http.RequestAborted);
        var (_, refusal) = await ReadableAsync(db, http, id);
        if (refusal is not null)
        {
            return refusal;
        }

        DiarySummary summary;
        try
        {
            summary = await TherapyService.DiaryAsync(db, id, countedRemaining, http.RequestAborted);
        }
        catch (ArgumentException e)
        {
            // The diary rule refuses a negative count: a 400 on that field (it reached the caller as a 500).
            return Problems.FromArgument(e).ToResult();
        }

        var entries = TherapyService.OnePerDay(await db.DoseEntries.AsNoTracking().Where(d => d.PatientId == id).ToListAsync(http.RequestAborted));
        return Results.Json(new { entries = entries.Select(e => new { e.Id, e.Date, e.Status, e.Capsules, e.RecordedBy }), summary }, Json.Options);
    }

    /// <summary>The field checks of a lab entry, shared by the API and the web form.</summary>
    internal static Reply? ValidateLab(LabRequest req)
    {
        var errors = new Dictionary<string, string[]>();
        if (req.Anc is < 0 or > 100_000)
        {
            errors["anc"] = ["ANC is cells/mcL between 0 and 100000."];
        }

        if (req.Platelets is < 0 or > 2_000_000)
        {
            errors["platelets"] = ["Platelets are cells/mcL between 0 and 2000000."];
        }

        if (req.TemperatureC is < 30 or > 45)
        {
            errors["temperatureC"] = ["Temperature is between 30 and 45 °C."];
        }

        if (req.PriorNeutropeniaHolds is < 0 or > 100)
        {
            errors["priorNeutropeniaHolds"] = ["Earlier neutropenia holds are a count between 0 and 100."];
        }

        if (req.AncLowForDays is < 0 or > 366)
        {
            errors["ancLowForDays"] = ["Days with a low ANC are between 0 and 366."];
        }

        return errors.Count > 0 ? Problems.Validation(errors) : null;

    }

    private static async Task<IResult> RecordLab(HttpContext http, string id, LabRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        if (ValidateLab(req) is { } invalid)
        {
            return invalid.ToResult();
        }

        return await Writes.RunAsync(http, gate, req, (db, audit, now) => RecordLabAsync(caller, id, req, db, audit, now, http.RequestAborted), scoped: true);
    }

    internal static async Task<Reply> RecordLabAsync(Caller caller, string id, LabRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        var patient = await db.Patients.FirstOrDefaultAsync(p => p.Id == id);
        if (patient is null)
        {
            return Problems.NotFound($"Patient '{id}'");
        }

        if (!caller.IsPrescriberSide || !await Access.CanSeePatientAsync(db, caller, patient, ct))
        {
            return Problems.Forbidden("Lab results are recorded by the patient's prescriber.");
        }

        var plan = await TherapyService.PlanAsync(db, id, ct);
        if (plan is null)
        {
            return Problems.Conflict("No treatment plan.", "Set the patient's treatment plan first: the dose advice depends on the regimen and current dose.");
        }

        var regimen = Regimens.Get(plan.RegimenId);
        var calendar = TherapyService.Calendar(plan, patient, req.TakenOn < plan.Start ? plan.Start : req.TakenOn);
        var day = calendar.Days.LastOrDefault(d => d.Date <= req.TakenOn);

        // A lab before the start is the baseline the first cycle starts on: the label's Day-1 criteria apply to it.
        var beforeStart = req.TakenOn < plan.Start;

        // The dose the patient is on that day: a hold that resumed at a lower dose changed it ("1 mg less than the previous dose").
        var current = calendar.Days.LastOrDefault(d => d.Date <= req.TakenOn && d.DoseMg is not null)?.DoseMg ?? plan.DoseMg ?? regimen.StartDoseMg;
        var starting = await TherapyService.StartingDoseAsync(db, plan, ct);

        // The label rows that depend on earlier counts ("each subsequent drop"; "ANC < 1,000 for at least 7 days") read the recorded labs of this plan.
        var earlier = (await db.LabResults.AsNoTracking().Where(l => l.PatientId == id && l.TakenOn >= plan.Start && l.TakenOn <= req.TakenOn)
            .OrderBy(l => l.TakenOn).ThenBy(l => l.RecordedAt).Select(l => new { l.TakenOn, l.Anc, l.Platelets }).ToListAsync(ct))
            .Select(l => new CountReading(l.TakenOn, l.Anc, l.Platelets));
        var history = CountHistory.Of(regimen.Drug, regimen.Indication, earlier, req.TakenOn, req.Anc);
        var priorHolds = Math.Max(req.PriorNeutropeniaHolds ?? 0, history.PriorDrops);
        var lowDays = Math.Max(req.AncLowForDays ?? 0, history.AncLowDays);
        DoseAdvice advice;
        try
        {
            advice = DoseModification.EvaluateCounts(new CountCheck(regimen.Drug, regimen.Indication, current, req.Anc, req.Platelets, req.TemperatureC,
                req.FeverSustainedOverOneHour, lowDays, beforeStart || day?.CycleDay == 1, beforeStart || day?.Cycle == 1, req.HoldingFor, req.NeutropeniaIsOnlyToxicity,
                priorHolds, starting));
        }
        catch (ArgumentException e)
        {
            return Problems.FromArgument(e);
        }

        var grades = new List<CtcaeGrade>();
        if (req.Anc is { } anc)
        {
            grades.Add(Ctcae.Grade(LabTerm.NeutrophilCountDecreased, anc, req.AncLowerLimit));
        }

        if (req.Platelets is { } plt)
        {
            grades.Add(Ctcae.Grade(LabTerm.PlateletCountDecreased, plt, req.PlateletLowerLimit));
        }

        if (req.HemoglobinGdL is { } hb)
        {
            grades.Add(Ctcae.Grade(LabTerm.Anemia, hb, req.HemoglobinLowerLimit));
        }

        var lab = new LabResultRecord
        {
            Id = Ids.New("lab"), PatientId = id, TakenOn = req.TakenOn, Anc = req.Anc, Platelets = req.Platelets, HemoglobinGdL = req.HemoglobinGdL,
            RecordedBy = caller.Id, RecordedAt = now,
        };
        db.LabResults.Add(lab);
        audit.Append(caller.AsActor(patient.PrescriberId), "lab.recorded", $"patient/{id}", audit.Data(new { lab.Id, lab.TakenOn, lab.Anc, lab.Platelets, advice = advice.Action, advice.DoseMg }));
        return Reply.Created(new LabReply(lab.Id, lab.TakenOn, advice, grades));
    }

    private static async Task<IResult> GetLabs(HttpContext http, string id, IDbContextFactory<ImidCareDb> dbs)
    {
        await using var db = await dbs.CreateDbContextAsync(http.RequestAborted);
        var (_, refusal) = await ReadableAsync(db, http, id);
        return refusal ?? Results.Json(await db.LabResults.AsNoTracking().Where(l => l.PatientId == id).OrderBy(l => l.TakenOn)
            .Select(l => new { l.Id, l.TakenOn, l.Anc, l.Platelets, l.HemoglobinGdL }).ToListAsync(http.RequestAborted), Json.Options);
    }

    private static async Task<IResult> RecordAssessment(HttpContext http, string id, MyelomaAssessment req, WriteGate gate)
    {
        var caller = http.Caller();
        return await Writes.RunAsync(http, gate, req, async (db, audit, now) =>
        {
            var patient = await db.Patients.FirstOrDefaultAsync(p => p.Id == id);
            if (patient is null)
            {
                return Problems.NotFound($"Patient '{id}'");
            }

            if (!caller.IsPrescriberSide || !await Access.CanSeePatientAsync(db, caller, patient, http.RequestAborted))
            {
                return Problems.Forbidden("Assessments are recorded by the patient's prescriber.");
            }

            var rec = new MyelomaAssessmentRecord { Id = Ids.New("mass"), PatientId = id, Date = req.Date, ValuesJson = JsonSerializer.Serialize(req, Json.Options), RecordedBy = caller.Id, RecordedAt = now };
            db.MyelomaAssessments.Add(rec);
            audit.Append(caller.AsActor(patient.PrescriberId), "myeloma-assessment.recorded", $"patient/{id}", rec.ValuesJson);
            return Reply.Created(new { rec.Id, rec.Date });
        }, scoped: true);
    }

    private static async Task<IResult> GetResponse(HttpContext http, string id, bool? onInterferingAntibody, IDbContextFactory<ImidCareDb> dbs)
    {
        await using var db = await dbs.CreateDbContextAsync(http.RequestAborted);
        var (_, refusal) = await ReadableAsync(db, http, id);
        if (refusal is not null)
        {
            return refusal;
        }

        var all = (await db.MyelomaAssessments.AsNoTracking().Where(a => a.PatientId == id).ToListAsync(http.RequestAborted))
            .Select(a => JsonSerializer.Deserialize<MyelomaAssessment>(a.ValuesJson, Json.Options)!).OrderBy(a => a.Date).ToList();
        if (all.Count == 0)
        {
            return Problems.NotFound($"Myeloma assessments of patient '{id}'").ToResult();
        }

        return Guard(() => Results.Json(ImwgResponse.Evaluate(all[0], all.Skip(1), onInterferingAntibody ?? false), Json.Options));
    }

    private static async Task<IResult> Grant(HttpContext http, string id, CaregiverRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        if (caller.PatientId != id)
        {
            return Problems.Forbidden("Only the patient grants access to their own data.").ToResult();
        }

        return await Writes.RunAsync(http, gate, req, (db, audit, now) => GrantAsync(caller, id, req, db, audit, now, http.RequestAborted), scoped: true);
    }

    internal static async Task<Reply> GrantAsync(Caller caller, string id, CaregiverRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        var caregiver = await db.Users.FirstOrDefaultAsync(u => u.Username == req.Username && u.Role == Roles.Caregiver);
        if (caregiver is null)
        {
            return Problems.Validation("username", "No caregiver account with this username.");
        }

        var existing = await db.CaregiverGrants.FirstOrDefaultAsync(g => g.PatientId == id && g.CaregiverUserId == caregiver.Id && g.RevokedAt == null);
        if (existing is not null)
        {
            return Reply.Ok(new { grantId = existing.Id, caregiver = caregiver.DisplayName, existing.GrantedAt });
        }

        var grant = new CaregiverGrant { Id = Ids.New("grant"), PatientId = id, CaregiverUserId = caregiver.Id, GrantedAt = now };
        db.CaregiverGrants.Add(grant);
        audit.Append(caller.AsActor(), "caregiver.granted", $"patient/{id}", audit.Data(new { grant.Id, caregiver = caregiver.Id }));
        return Reply.Created(new { grantId = grant.Id, caregiver = caregiver.DisplayName, grant.GrantedAt });
    }

    private static async Task<IResult> Revoke(HttpContext http, string id, string grantId, WriteGate gate)
    {
        var caller = http.Caller();
        if (caller.PatientId != id)
        {
            return Problems.Forbidden("Only the patient revokes access to their own data.").ToResult();
        }

        return await Writes.RunAsync(http, gate, new { id, grantId }, (db, audit, now) => RevokeAsync(caller, id, grantId, db, audit, now, http.RequestAborted), scoped: true);
    }

    internal static async Task<Reply> RevokeAsync(Caller caller, string id, string grantId, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        var grant = await db.CaregiverGrants.FirstOrDefaultAsync(g => g.Id == grantId && g.PatientId == id);
        if (grant is null)
        {
            return Problems.NotFound($"Grant '{grantId}'");
        }

        grant.RevokedAt ??= now;

        // A calendar feed is a secret address: whoever holds it reads the calendar, whoever made it.
        // The caregiver may hold any of the patient's (made one, or was given the patient's), so all
        // end with the access; the patient makes a new one for their own phone.
        var feeds = await db.CalendarFeeds.Where(f => f.PatientId == id && f.RevokedAt == null).ToListAsync(ct);
        foreach (var f in feeds)
        {
            f.RevokedAt = now;
        }

        audit.Append(caller.AsActor(), "caregiver.revoked", $"patient/{id}", audit.Data(new { grant.Id, caregiver = grant.CaregiverUserId, calendarFeedsEnded = feeds.Count, calendarFeeds = feeds.Select(f => f.Id) }));
        return Reply.Ok(new { grantId = grant.Id, grant.RevokedAt, calendarFeedsEnded = feeds.Count });
    }

    private static async Task<IResult> ListGrants(HttpContext http, string id, IDbContextFactory<ImidCareDb> dbs)
    {
        if (http.Caller().PatientId != id && !http.Caller().IsStaff)
        {
            return Problems.Forbidden("Only the patient sees who they granted access.").ToResult();
        }

        await using var db = await dbs.CreateDbContextAsync(http.RequestAborted);
        var grants = await db.CaregiverGrants.AsNoTracking().Where(g => g.PatientId == id)
            .Join(db.Users, g => g.CaregiverUserId, u => u.Id, (g, u) => new { g.Id, caregiver = u.DisplayName, username = u.Username, g.GrantedAt, g.RevokedAt })
            .ToListAsync(http.RequestAborted);
        return Results.Json(grants, Json.Options);
    }
}
