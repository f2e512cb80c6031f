using System.Text.Json;
using ImidCare.Rules.Calendar;
using ImidCare.Rules.Response;
using ImidCare.Rules.Therapy;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Therapy;
using ImidCare.Server.Web;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Pages.Office;

/// <summary>
/// The therapy plan at the office: the plan (the API's plan handler), the cycle calendar from the
/// rules, the dose-modification assistant fed by lab values (the API's lab handler: advice with
/// its citation, CTCAE grades), and the response chart with the IMWG evaluation.
/// </summary>
public sealed class TherapyModel : WebPage
{
    private static readonly Dictionary<string, string> PlanFields = new()
    {
        ["regimenId"] = "Plan.RegimenId", ["timeZone"] = "Plan.TimeZone", ["doseMg"] = "Plan.DoseMg", ["doseIntervalDays"] = "Plan.DoseIntervalDays", ["holds"] = "Plan.Start", ["start"] = "Plan.Start",
    };

    private static readonly Dictionary<string, string> LabFields = new()
    {
        ["anc"] = "Lab.Anc", ["platelets"] = "Lab.Platelets", ["temperatureC"] = "Lab.TemperatureC",
    };

    public Patient Patient { get; private set; } = null!;

    public TreatmentPlanRecord? Current { get; private set; }

    public TreatmentCalendar? Calendar { get; private set; }

    /// <summary>The regimens of the medicines of the patient's REMS programs: the only ones the plan handler accepts.</summary>
    public IReadOnlyList<Regimen> RegimenChoices { get; private set; } = [];

    public PatientSeries Series { get; private set; } = null!;

    public ResponseEvaluation? Imwg { get; private set; }

    public LabReply? Advice { get; private set; }

    public string? Done { get; private set; }

    [BindProperty]
    public PlanInput Plan { get; set; } = new();

    [BindProperty]
    public LabInput Lab { get; set; } = new();

    public async Task<IActionResult> OnGetAsync(string id) => await LoadAsync(id) ? Page() : Forbid();

    public async Task<IActionResult> OnPostPlanAsync(string id)
    {
        if (!await LoadAsync(id))
        {
            return Forbid();
        }

        if (Plan.Start is null || Plan.UsualDoseTime is null)
        {
            ModelState.AddModelError("Plan.Start", "Enter the start date and the usual dose time.");
            return Page();
        }

        var req = new PlanRequest(Plan.RegimenId, LocalDate.FromDateOnly(Plan.Start.Value), LocalTime.FromTimeOnly(Plan.UsualDoseTime.Value), Plan.TimeZone, Plan.DoseMg,
            DoseIntervalDays: Plan.DoseIntervalDays);
        var me = Me;
        var reply = TherapyEndpoints.ValidatePlan(req) ?? await WriteAsync(async (db, audit, now) =>
        {
            // A plan is stored whole, and this form does not edit holds, dialysis days or the HIV
            // flag (the API sets them): they are carried over from the plan being replaced, read
            // inside the write so one set through the API a moment ago is not lost either.
            var kept = await TherapyService.PlanAsync(db, id, Ct);
            var whole = kept is null ? req : req with
            {
                Holds = TherapyService.Holds(kept), DialysisDays = TherapyService.DialysisDays(kept), HivPositive = kept.HivPositive,
            };
            return await TherapyEndpoints.SetPlanAsync(me, id, whole, db, audit, now, Ct);
        });
        if (Accept(reply, PlanFields))
        {
            Done = "The plan is saved.";
            await LoadAsync(id);
        }

        return Page();
    }

    public async Task<IActionResult> OnPostLabAsync(string id)
    {
        if (!await LoadAsync(id))
        {
            return Forbid();
        }

        if (Lab.TakenOn is null)
        {
            ModelState.AddModelError("Lab.TakenOn", "Enter the date the blood was taken.");
            return Page();
        }

        var req = new LabRequest(LocalDate.FromDateOnly(Lab.TakenOn.Value), Lab.Anc, Lab.Platelets, Lab.HemoglobinGdL, Lab.TemperatureC);
        var me = Me;
        var reply = TherapyEndpoints.ValidateLab(req) ?? await WriteAsync((db, audit, now) => TherapyEndpoints.RecordLabAsync(me, id, req, db, audit, now, Ct));
        if (Accept(reply, LabFields))
        {
            Advice = (LabReply)reply.Body!;
            await LoadAsync(id);
        }

        return Page();
    }

    private async Task<bool> LoadAsync(string id)
    {
        await using var db = await DbAsync();
        if (await VisiblePatientAsync(db, id) is not { } patient)
        {
            return false;
        }

        Patient = patient;
        Current = await TherapyService.PlanAsync(db, id, Ct);
        RegimenChoices = TherapyService.RegimensFor(await TherapyService.EnrolledDrugsAsync(db, id, Ct));
        if (Current is not null)
        {
            var today = TherapyService.Today(Current, Now);
            var regimen = Regimens.Get(Current.RegimenId);
            Calendar = TherapyService.Calendar(Current, patient, (today < Current.Start ? Current.Start : today).PlusDays(regimen.CycleLengthDays));
            if (!string.Equals(Request.Query["handler"], "Plan", StringComparison.OrdinalIgnoreCase))
            {
                Plan = new PlanInput
                {
                    RegimenId = Current.RegimenId, Start = Current.Start.ToDateOnly(), UsualDoseTime = Current.UsualDoseTime.ToTimeOnly(), TimeZone = Current.TimeZoneId,
                    DoseMg = Current.DoseMg, DoseIntervalDays = Current.DoseIntervalDays,
                };
            }
        }

        Series = await PatientSeries.LoadAsync(db, id, Ct);
        var assessments = (await db.MyelomaAssessments.AsNoTracking().Where(a => a.PatientId == id).ToListAsync(Ct))
            .Select(a => JsonSerializer.Deserialize<MyelomaAssessment>(a.ValuesJson, Json.Options)!).OrderBy(a => a.Date).ToList();
        try
        {
            Imwg = assessments.Count < 2 ? null : ImwgResponse.Evaluate(assessments[0], assessments.Skip(1));
        }
        catch (ArgumentException)
        {
            // An assessment series the engine cannot evaluate is shown as values only (the API answers it with a 400).
            Imwg = null;
        }

        return true;
    }

    public sealed class PlanInput
    {
        public string RegimenId { get; set; } = string.Empty;

        public DateOnly? Start { get; set; }

        public TimeOnly? UsualDoseTime { get; set; } = new(8, 0);

        public string TimeZone { get; set; } = "America/New_York";

        public decimal? DoseMg { get; set; }

        public int DoseIntervalDays { get; set; } = 1;
    }

    public sealed class LabInput
    {
        public DateOnly? TakenOn { get; set; }

        public int? Anc { get; set; }

        public int? Platelets { get; set; }

        public decimal? HemoglobinGdL { get; set; }

        public decimal? TemperatureC { get; set; }
    }
}
