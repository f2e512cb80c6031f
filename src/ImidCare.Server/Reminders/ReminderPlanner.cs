using System.Security.Cryptography;
using System.Text;
using ImidCare.Rules;
using ImidCare.Rules.Calendar;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Rules.Therapy;
using ImidCare.Server.Rems;
using ImidCare.Server.Therapy;
using ImidCare.Server.Web;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Reminders;

/// <summary>The kinds of reminder, as stored and as the API names them.</summary>
public static class ReminderKinds
{
    public const string PregnancyTestDue = "pregnancy-test-due";
    public const string PregnancyTestOverdue = "pregnancy-test-overdue";
    public const string SurveyDue = "survey-due";
    public const string AuthorizationExpiring = "authorization-expiring";
    public const string AuthorizationExpiredUnused = "authorization-expired-unused";
    public const string ConfirmationExpiring = "confirmation-expiring";
    public const string RefillWindow = "refill-window";
    public const string FirstPrescriptionWindow = "first-prescription-window";
    public const string DoseToday = "dose-today";
    public const string DoseMissed = "dose-missed";
    public const string LabDue = "lab-due";
    public const string EnrollmentChanged = "enrollment-changed";
}

/// <summary>
/// Which reminders are due now, for whom, derived from the same rules the counter and the
/// companion use (pregnancy-test schedule, survey cadence, authorization and confirmation windows,
/// refill window, the cycle calendar, the 12-hour missed-dose rule, the label's monitoring
/// schedule). Each reminder keeps the code and the source of the rule that raised it. Nothing is
/// written here: the job stores what is new.
/// </summary>
public static class ReminderPlanner
{
    /// <summary>Enrolled patients read per query of a run.</summary>
    internal const int PageSize = 5_000;

    /// <summary>A test or survey is announced this many days before its due date.</summary>
    public const int DaysAhead = 2;

    /// <summary>An authorization that will expire within this time is announced.</summary>
    public static readonly Duration AuthorizationNotice = Duration.FromHours(24);

    /// <summary>An authorization that expired unused is reported for this long.</summary>
    public static readonly Duration ExpiredLookBack = Duration.FromDays(7);

    /// <summary>A confirmation that will expire within this time is announced to its pharmacy.</summary>
    public static readonly Duration ConfirmationNotice = Duration.FromHours(6);

    /// <summary>A dose this late (and not recorded) raises the missed-dose reminder.</summary>
    public static readonly Duration MissedAfter = Duration.FromHours(2);

    public static async Task<List<ReminderRecord>> DueAsync(ImidCareDb db, Instant now, CancellationToken ct, int pageSize = PageSize)
    {
        var users = await db.Users.AsNoTracking()
            .Select(u => new { u.Id, u.Role, u.PatientId, u.PrescriberId, u.PharmacyId }).ToListAsync(ct);
        var patientUsers = users.Where(u => u.PatientId != null).ToLookup(u => u.PatientId!, u => u.Id);
        var prescriberUsers = users.Where(u => u.PrescriberId != null && u.Role == Roles.Prescriber).ToLookup(u => u.PrescriberId!, u => u.Id);
        var pharmacyUsers = users.Where(u => u.PharmacyId != null && u.Role == Roles.Pharmacist).ToLookup(u => u.PharmacyId!, u => u.Id);
        var caregivers = (await db.CaregiverGrants.AsNoTracking().Where(g => g.RevokedAt == null).Select(g => new { g.PatientId, g.CaregiverUserId }).ToListAsync(ct))
            .ToLookup(g => g.PatientId, g => g.CaregiverUserId);

        var list = new List<ReminderRecord>();
        // What would otherwise be asked patient by patient, asked once for all: the authorizations
        // in the notice windows, and who has a treatment plan. A run looks at every enrolled patient,
        // and each question asked per patient cost a statement per patient (docs/benchmarks.md, session 10).
        var authorizations = (await db.Authorizations.AsNoTracking()
            .Where(a => a.State == nameof(AuthorizationState.Active) && a.ExpiresAt > now - ExpiredLookBack && a.ExpiresAt <= now + AuthorizationNotice)
            .Select(a => new ExpiringAuthorization(a.PatientId, a.Number, a.ExpiresAt, a.ValidThrough)).ToListAsync(ct))
            .ToLookup(a => a.PatientId);
        var planned = (await db.TreatmentPlans.AsNoTracking().Select(t => t.PatientId).Distinct().ToListAsync(ct)).ToHashSet();

        // The enrolled patients a page at a time, in the order of their ids, so a run over a million
        // holds one page of them, not all. Only patients someone can be reminded about are looked at
        // one by one, each in the program it is enrolled in (the first by program id, if several).
        string? after = null;
        while (true)
        {
            var enrolled = db.Enrollments.AsNoTracking().Where(e => e.Status == nameof(EnrollmentStatus.Enrolled))
                .Join(db.Patients.AsNoTracking(), e => e.PatientId, p => p.Id, (e, p) => new { Patient = p, e.ProgramId });
            if (after is not null)
            {
                enrolled = enrolled.Where(x => string.Compare(x.Patient.Id, after) > 0);
            }

            var page = await enrolled.OrderBy(x => x.Patient.Id).ThenBy(x => x.ProgramId).Take(pageSize).ToListAsync(ct);
            foreach (var p in page.Where(p => patientUsers.Contains(p.Patient.Id) || caregivers.Contains(p.Patient.Id) || prescriberUsers.Contains(p.Patient.PrescriberId)).DistinctBy(p => p.Patient.Id))
            {
                if (ProgramCatalog.Find(p.ProgramId) is not { } program)
                {
                    continue;
                }

                var side = Reader.Side(patientUsers[p.Patient.Id], caregivers[p.Patient.Id], p.Patient.Name);
                var office = prescriberUsers[p.Patient.PrescriberId].ToList();
                await ForPatientAsync(db, p.Patient, program, authorizations[p.Patient.Id], planned.Contains(p.Patient.Id), side, office, now, list, ct);
            }

            if (page.Count < pageSize)
            {
                break;
            }

            // A patient's second enrollment on the next page is skipped there: the id is past.
            after = page[^1].Patient.Id;
        }

        await ConfirmationsAsync(db, now, pharmacyUsers, list, ct);
        return list;
    }

    /// <summary>Someone on the patient's side: the patient, or a caregiver told about the patient.</summary>
    internal sealed record Reader(string UserId, Voice Voice)
    {
        /// <summary>The patient's own users and their caregivers with a live grant, each once, each in their voice.</summary>
        public static List<Reader> Side(IEnumerable<string> patientUsers, IEnumerable<string> caregivers, string patientName) =>
            [.. patientUsers.Select(u => new Reader(u, Voice.Of(true, patientName))).Concat(caregivers.Select(u => new Reader(u, Voice.Of(false, patientName)))).DistinctBy(r => r.UserId)];
    }

    private sealed record ExpiringAuthorization(string PatientId, string Number, Instant ExpiresAt, LocalDate ValidThrough);

    private static async Task ForPatientAsync(
        ImidCareDb db, Patient patient, ProgramRules program, IEnumerable<ExpiringAuthorization> auths, bool hasPlan,
        List<Reader> side, List<string> office, Instant now, List<ReminderRecord> list, CancellationToken ct)
    {
        var patientId = patient.Id;
        var f = await PatientFacts.LoadAsync(db, patient, program, now, ct);
        if (f is null)
        {
            return;
        }

        var today = ProgramTime.Today(now, program.Zone);
        var name = f.Patient.Name;
        var officeLink = $"/office/patient/{patientId}";
        var meLink = $"/me?patient={patientId}";
        void Add(IEnumerable<string> to, string link, string kind, string subject, LocalDate due, string title, string detail, Reason reason)
        {
            foreach (var user in to)
            {
                list.Add(Make(user, patientId, subject, kind, due, title, detail, reason, link, now));
            }
        }

        // The patient's side: each reads it in their own voice; a caregiver may get its own link.
        void Tell(string link, string kind, string subject, LocalDate due, Func<Voice, (string Title, string Detail)> words, Reason reason, string? caregiverLink = null)
        {
            foreach (var (user, voice) in side)
            {
                var (title, detail) = words(voice);
                list.Add(Make(user, patientId, subject, kind, due, title, detail, reason, voice.ToPatient ? link : caregiverLink ?? link, now));
            }
        }

        // Pregnancy tests: announced two days ahead, and again once late.
        if (f.Category.CanGetPregnant()
            && PregnancyTestRules.NextDue(f.Tests, program, f.Enrollment.TherapyStart, Enum.Parse<MenstrualPattern>(f.Patient.MenstrualPattern), now) is { } next)
        {
            var (kind, code, words) = next.Overdue
                ? (ReminderKinds.PregnancyTestOverdue, "REMS.PREGNANCY_TEST_OVERDUE", $"was due {Words.Day(next.DueOn)} and is late")
                : (ReminderKinds.PregnancyTestDue, "REMS.PREGNANCY_TEST_DUE", $"is due {Words.Day(next.DueOn)}");
            if (next.Overdue || today >= next.DueOn.PlusDays(-DaysAhead))
            {
                var reason = new Reason(code, $"A pregnancy test every {next.IntervalDays} days at this stage of treatment.", next.Source);
                Tell(meLink, kind, patientId, next.DueOn, v => v.ToPatient
                    ? ($"Pregnancy test {words}", "Book it with your prescriber's office; your prescription needs it.")
                    : ($"{v.FirstName}'s pregnancy test {words}", $"{v.FirstName} books it with the prescriber's office; {v.FirstName}'s prescription needs it."), reason);
                Add(office, officeLink, kind, patientId, next.DueOn, $"{name}: pregnancy test {words}", "Record the result on the patient's page.", reason);
            }
        }

        // Before the first prescription, the pre-start tests on file support it for a while (the second
        // test for 24 hours): both sides are told until when, in the program's zone.
        if (f.FirstPrescriptionUntil(now) is { } until
            && !await db.Authorizations.AnyAsync(a => a.PatientId == patientId && a.State == nameof(AuthorizationState.Active), ct))
        {
            var by = until.InZone(program.Zone);
            var when = Words.WhenIn(until, program.Zone);
            var reason = new Reason("REMS.FIRST_PRESCRIPTION_WINDOW", $"The pre-start pregnancy tests on file support a first prescription until {when}.", program.PreStartTests.IsEmpty ? program.AuthorizationFromLastTest.Source : program.PreStartTests[^1].Source);
            Add(office, officeLink, ReminderKinds.FirstPrescriptionWindow, patientId, by.Date, $"{name}: authorize the first prescription by {when}", "The pre-start tests are on file; after that a new test is needed.", reason);
            Tell(meLink, ReminderKinds.FirstPrescriptionWindow, patientId, by.Date,
                v => ($"{v.Whose} first prescription can be written until {when}", $"{v.Whose} tests are done. After that a new pregnancy test is needed."), reason);
        }

        // The patient survey, from the program's cadence (none before the first prescription).
        if (!f.FirstPrescription && program.PatientSurveys.TryGetValue(f.Category, out var cadence) && cadence.Every is { } every)
        {
            var due = f.LastPatientSurvey is { } last ? last.Plus(every) : today;
            if (today >= due.PlusDays(-DaysAhead))
            {
                var reason = new Reason("REMS.SURVEY_DUE", "The patient survey is needed before each prescription.", cadence.Source);
                // The survey is the patient's own answer: a caregiver is told, and linked to the patient's page, not the form.
                Tell("/me/survey", ReminderKinds.SurveyDue, patientId, due, v => v.ToPatient
                    ? ($"Survey due {Words.Day(due)}", "Take the survey before your next prescription.")
                    : ($"{v.FirstName}'s survey due {Words.Day(due)}", $"{v.FirstName} takes the survey, signed in, before the next prescription."), reason, caregiverLink: meLink);
            }
        }

        // Authorizations: about to expire, or expired without a fill.
        var window = f.Category.CanGetPregnant() ? program.AuthorizationFromLastTest.Source : program.AuthorizationFromIssue.Source;
        foreach (var a in auths)
        {
            if (a.ExpiresAt > now)
            {
                var reason = new Reason("REMS.AUTHORIZATION_EXPIRING", $"Authorization {a.Number} is valid through {Fmt.Date(a.ValidThrough)}.", window);
                Add(office, officeLink, ReminderKinds.AuthorizationExpiring, a.Number, a.ValidThrough, $"{name}: authorization {a.Number} expires after {Words.Day(a.ValidThrough)}", "It has not been filled yet.", reason);
                Tell(meLink, ReminderKinds.AuthorizationExpiring, a.Number, a.ValidThrough,
                    v => ($"{v.Whose} prescription must be filled by {Words.Day(a.ValidThrough)}", v.ToPatient ? "Ask your pharmacy to fill it before then." : "Ask the pharmacy to fill it before then."), reason);
            }
            else
            {
                var reason = new Reason("REMS.AUTHORIZATION_EXPIRED", $"Authorization {a.Number} expired after {Fmt.Date(a.ValidThrough)} without being filled.", window);
                Add(office, officeLink, ReminderKinds.AuthorizationExpiredUnused, a.Number, a.ValidThrough, $"{name}: authorization {a.Number} expired unused", "A new prescriber survey (and, where needed, a new test) is required.", reason);
            }
        }

        // The refill window: a later fill is confirmed only when few days of therapy remain.
        if (f.LastDispense is { } d)
        {
            var opens = d.DispensedOn.PlusDays(d.DaysSupply - program.NextFillWhenDaysRemainAtMost.Value);
            if (today >= opens && today < d.DispensedOn.PlusDays(d.DaysSupply))
            {
                var reason = new Reason("REMS.REFILL_WINDOW", $"The next fill can be confirmed when at most {program.NextFillWhenDaysRemainAtMost.Value} days remain.", program.NextFillWhenDaysRemainAtMost.Source);
                Add(office, officeLink, ReminderKinds.RefillWindow, patientId, opens, $"{name}: the refill window is open", "A new authorization is needed for the next fill.", reason);
                Tell(meLink, ReminderKinds.RefillWindow, patientId, opens,
                    v => ($"Time to plan {v.WhoseLower} next fill", $"{v.Whose} prescriber needs to authorize the next prescription."), reason);
            }
        }

        if (hasPlan)
        {
            var stopped = SafetyEndpoints.StopsTheMedicine(f.Category.CanGetPregnant(), f.OpenHoldRecords.Select(h => h.Code));
            await TherapyAsync(db, f.Patient, side, office, stopped, now, list, ct);
        }
    }

    private static async Task TherapyAsync(ImidCareDb db, Patient patient, List<Reader> side, List<string> office, bool stopped, Instant now, List<ReminderRecord> list, CancellationToken ct)
    {
        if (await TherapyService.PlanAsync(db, patient.Id, ct) is not { } plan)
        {
            return;
        }

        var regimen = Regimens.Get(plan.RegimenId);
        var view = await TherapyService.TodayAsync(db, plan, patient, now, ct);
        var meLink = $"/me?patient={patient.Id}";
        // A patient reported pregnant has stopped the medicine: no reminder to take it.
        if (view.Day?.Kind == DayKind.Dose && !view.TakenToday && !stopped)
        {
            var reason = new Reason("THERAPY.DOSE_DAY", $"Cycle {view.Day.Cycle}, day {view.Day.CycleDay} of {regimen.Name}.", regimen.Source);
            foreach (var (user, v) in side)
            {
                var title = v.ToPatient ? $"Dose today: {view.Day.DoseMg} mg" : $"{v.FirstName}'s dose today: {view.Day.DoseMg} mg";
                list.Add(Make(user, patient.Id, patient.Id, ReminderKinds.DoseToday, view.Date, title, view.Summary, reason, meLink, now));
            }

            if (view.MissedDose is { } missed && missed.Action is MissedDoseAction.TakeNow or MissedDoseAction.SkipAndTakeNextAtUsualTime && missed.Late >= MissedAfter)
            {
                var rule = missed.Decision.Reasons[0];

                // Stored text outlives the moment: say until when a catch-up is allowed, not "take it now".
                var until = missed.LatestCatchUp.InZone(TherapyService.Zone(plan)).TimeOfDay;
                foreach (var (user, v) in side)
                {
                    var (title, detail) = v.ToPatient
                        ? ("Today's dose is not recorded", $"If you missed it, take it until {until:HH:mm}; after that skip it and take the next one at your usual time. Never take two doses at once.")
                        : ($"{v.FirstName}'s dose today is not recorded", $"If {v.FirstName} missed it, {v.FirstName} takes it until {until:HH:mm}; after that skip it and take the next one at the usual time. Never two doses at once.");
                    list.Add(Make(user, patient.Id, patient.Id, ReminderKinds.DoseMissed, view.Date, title, detail, rule, meLink, now));
                }
            }
        }

        // Labs from the label's monitoring schedule (the pregnancy test has its own reminder above).
        var items = await TherapyService.MonitoringAsync(db, plan, patient, view.Date.PlusDays(DaysAhead), now, ct);
        foreach (var item in items.Where(i => i.Kind != "pregnancy-test" && i.Date >= view.Date && i.Date <= view.Date.PlusDays(DaysAhead)))
        {
            var reason = item.Basis.Reasons[0];
            var subject = $"{patient.Id}/{item.Kind}";
            foreach (var (user, v) in side)
            {
                var (title, detail) = v.ToPatient
                    ? ($"{item.Description} due {Words.Day(item.Date)}", "Your care team will tell you where to have it done.")
                    : ($"{v.FirstName}: {item.Description} due {Words.Day(item.Date)}", $"{v.FirstName}'s care team will say where to have it done.");
                list.Add(Make(user, patient.Id, subject, ReminderKinds.LabDue, item.Date, title, detail, reason, meLink, now));
            }

            foreach (var user in office)
            {
                list.Add(Make(user, patient.Id, subject, ReminderKinds.LabDue, item.Date, $"{patient.Name}: {item.Description} due {Words.Day(item.Date)}", "Enter the values on the therapy page.", reason, $"/office/therapy/{patient.Id}", now));
            }
        }
    }

    /// <summary>Confirmations not yet dispensed that close soon: the pharmacy that holds them is told.</summary>
    private static async Task ConfirmationsAsync(ImidCareDb db, Instant now, ILookup<string, string> pharmacyUsers, List<ReminderRecord> list, CancellationToken ct)
    {
        var until = now + ConfirmationNotice;
        var rows = await db.Confirmations.AsNoTracking().Where(c => c.State == "active" && c.ExpiresAt > now && c.ExpiresAt <= until)
            .Join(db.Authorizations.AsNoTracking(), c => c.AuthorizationNumber, a => a.Number, (c, a) => new { c.Number, c.PharmacyId, c.ExpiresAt, a.ProgramId, a.PatientId })
            .ToListAsync(ct);
        foreach (var c in rows)
        {
            if (ProgramCatalog.Find(c.ProgramId) is not { } program)
            {
                continue;
            }

            var closes = c.ExpiresAt.InZone(program.Zone);
            var reason = new Reason("REMS.CONFIRMATION_EXPIRING", $"Confirmation {c.Number} closes {closes.Date:yyyy-MM-dd} {closes.TimeOfDay:HH:mm} ({program.Zone.Id}).", program.ConfirmationValidity.Source);
            foreach (var user in pharmacyUsers[c.PharmacyId])
            {
                list.Add(Make(user, null, c.Number, ReminderKinds.ConfirmationExpiring, closes.Date, $"Confirmation {c.Number} closes soon", "Dispense it before it closes, or the patient needs a new confirmation.", reason, "/pharmacy", now));
            }
        }
    }

    internal static ReminderRecord Make(string user, string? patientId, string subject, string kind, LocalDate due, string title, string detail, Reason reason, string link, Instant now) => new()
    {
        Id = Id(user, kind, subject, due),
        UserId = user,
        PatientId = patientId,
        Subject = subject,
        Kind = kind,
        DueOn = due,
        Title = title,
        Detail = detail,
        RuleCode = reason.Code,
        RuleMessage = reason.Message,
        RuleSource = reason.Source.Document,
        RuleEvidence = reason.Source.Evidence,
        Unverified = reason.Source.Unverified,
        Link = link,
        CreatedAt = now,
    };

    /// <summary>The id follows from the unique key, so even the primary key refuses a duplicate.</summary>
    public static string Id(string user, string kind, string subject, LocalDate due) =>
        "rem_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{user}\u001f{kind}\u001f{subject}\u001f{Fmt.Date(due)}")))[..24];
}
