using System.ComponentModel.DataAnnotations;
using ImidCare.Rules.Programs;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Server.Security;
using ImidCare.Server.Web;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Pages.Report;

/// <summary>The MedWatch (FDA 3500) fields as the API takes them (<see cref="MedWatchFields"/>), as a form.</summary>
public sealed class MedWatchInput
{
    public string? EventDescription { get; set; }

    public List<string> Outcomes { get; set; } = [];

    public string? SuspectProduct { get; set; }

    public string? ReporterName { get; set; }

    public string? ReporterOccupation { get; set; }

    // The names say the field in words when the value cannot be read ("The value 'abc' is not valid for ...").
    [Display(Name = "Date of the event")]
    public DateOnly? EventDate { get; set; }

    public string? Dose { get; set; }

    public string? Frequency { get; set; }

    public string? Route { get; set; }

    [Display(Name = "Therapy started")]
    public DateOnly? TherapyStartDate { get; set; }

    [Display(Name = "Therapy stopped")]
    public DateOnly? TherapyStopDate { get; set; }

    public string? LotNumber { get; set; }

    public string? RelevantHistory { get; set; }

    public string? ReporterPhone { get; set; }

    [Display(Name = "Weight (kg)")]
    public double? WeightKg { get; set; }

    public static readonly (string Value, string Label)[] KnownOutcomes =
    [
        ("death", "Death"), ("life-threatening", "Life-threatening"), ("hospitalization", "Hospitalization (initial or longer)"),
        ("disability", "Disability or permanent damage"), ("congenital-anomaly", "Congenital anomaly or birth defect"),
        ("required-intervention", "Required intervention to prevent permanent damage"), ("other", "Other serious or important medical event"),
    ];

    public MedWatchFields ToRequest() => new(
        EventDescription ?? string.Empty, Outcomes, SuspectProduct ?? string.Empty, ReporterName ?? string.Empty, ReporterOccupation ?? string.Empty,
        Date(EventDate), Dose, Frequency, Route, Date(TherapyStartDate), Date(TherapyStopDate), LotNumber, RelevantHistory, ReporterPhone, WeightKg);

    private static LocalDate? Date(DateOnly? d) => d is { } v ? LocalDate.FromDateOnly(v) : null;
}

/// <summary>
/// A report form for one patient: who may report is the API's rule (the patient, a granted
/// caregiver, the patient's prescriber, the program's staff; a pharmacy may not), checked by the
/// same <see cref="Access.CanSeePatientAsync"/> before the form is shown and again in the core.
/// </summary>
public abstract class ReportPage : WebPage
{
    public Patient? Patient { get; private set; }

    public PatientStatusDto? Status { get; private set; }

    [BindProperty(SupportsGet = true, Name = "patient")]
    public string? PatientId { get; set; }

    [BindProperty]
    public MedWatchInput MedWatch { get; set; } = new();

    /// <summary>The patient asked for, the caller themself, or a caregiver's (first) granting patient.</summary>
    protected async Task<bool> LoadAsync()
    {
        await using var db = await DbAsync();
        var id = await PatientInViewAsync(db, PatientId);

        if (id is null)
        {
            return true; // staff and prescribers choose the patient first
        }

        Patient = await VisiblePatientAsync(db, id);
        if (Patient is null)
        {
            return false;
        }

        PatientId = Patient.Id;
        Status = await PatientEndpoints.StatusAsync(db, Patient.Id, Now, Ct);
        return true;
    }

    /// <summary>The empty form, for a reporter who may report for this patient.</summary>
    protected async Task<IActionResult> ShowFormAsync()
    {
        if (!await LoadAsync())
        {
            return Forbid();
        }

        Prefill();
        return Page();
    }

    /// <summary>Sensible defaults a reporter corrects: who they are and the product the patient takes.</summary>
    private void Prefill()
    {
        var me = Me;
        MedWatch.ReporterName ??= me.DisplayName;
        MedWatch.ReporterOccupation ??= me.Role switch
        {
            Roles.Patient => "patient",
            Roles.Caregiver => "caregiver",
            Roles.Prescriber => "physician",
            _ => "REMS program safety staff",
        };
        if (Status is { } s)
        {
            MedWatch.SuspectProduct ??= Words.Drug(s.Program);
        }
    }

    /// <summary>API field names (medWatch.eventDescription) to form fields (MedWatch.EventDescription).</summary>
    protected static IReadOnlyDictionary<string, string> Fields(params string[] extra)
    {
        var map = new Dictionary<string, string>();
        foreach (var p in typeof(MedWatchInput).GetProperties())
        {
            map["medWatch." + char.ToLowerInvariant(p.Name[0]) + p.Name[1..]] = "MedWatch." + p.Name;
        }

        foreach (var e in extra)
        {
            map[char.ToLowerInvariant(e[0]) + e[1..]] = e;
        }

        return map;
    }

    protected async Task RefreshStatusAsync()
    {
        await using var db = await DbAsync();
        Status = Patient is null ? null : await PatientEndpoints.StatusAsync(db, Patient.Id, Now, Ct);
    }
}
