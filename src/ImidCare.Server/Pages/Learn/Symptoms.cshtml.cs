using ImidCare.Rules.Therapy;
using ImidCare.Server.Security;
using ImidCare.Server.Therapy;
using ImidCare.Server.Web;
using Microsoft.AspNetCore.Mvc;

namespace ImidCare.Server.Pages.Learn;

/// <summary>
/// The symptom checker: the rules' Medication Guide triage, the action level in plain words, the
/// numbers to call. Public; for a signed-in patient (or a caregiver, for the patient in view) the
/// medicine starts as the one their REMS program is for.
/// </summary>
public sealed class SymptomsModel : WebPage
{
    [BindProperty(SupportsGet = true)]
    public Drug? Drug { get; set; }

    [BindProperty(SupportsGet = true)]
    public List<string> Symptom { get; set; } = [];

    [BindProperty(SupportsGet = true)]
    public string? Text { get; set; }

    [BindProperty(SupportsGet = true, Name = "patient")]
    public string? PatientId { get; set; }

    public TriageResult? Result { get; private set; }

    public IEnumerable<SymptomRule> Choices => Drug is { } d ? SymptomTriage.For(d) : [];

    public async Task OnGetAsync()
    {
        if (Drug is { } asked && !Enum.IsDefined(asked))
        {
            Drug = null;
        }

        Drug ??= await PatientsDrugAsync();
        var asking = Symptom.Count > 0 || !string.IsNullOrWhiteSpace(Text);
        if (Drug is not { } drug)
        {
            if (asking)
            {
                ModelState.AddModelError(nameof(Drug), "Choose your medicine: the warning signs differ from one medicine to another.");
            }

            return;
        }

        // A sign ticked on another medicine's list (the medicine changed after ticking, an old
        // link) is no sign of this one's: triaged, it would read "no match" even for a fever.
        // The list is shown again instead, with what was ticked on it and the words kept.
        var foreign = Symptom.Where(id => !Choices.Any(c => string.Equals(c.Id, id?.Trim(), StringComparison.OrdinalIgnoreCase))).ToList();
        if (foreign.Count > 0)
        {
            var from = SymptomTriage.ListsHolding(foreign);
            var ticked = from.Count > 0 ? $"What you ticked was on the list for {string.Join(" and ", from)}. " : "Some of what you ticked is not on the list. ";
            ModelState.AddModelError(nameof(Symptom), $"{ticked}This is the list for {drug}: tick what you notice on it, then press Check.");
            Symptom = [.. Symptom.Except(foreign)];
            return;
        }

        if (asking)
        {
            Result = SymptomTriage.Triage(drug, Symptom, Text);
        }
    }

    /// <summary>The drug of the signed-in patient's program, or of the patient a caregiver or their prescriber has in view; else null.</summary>
    private async Task<Drug?> PatientsDrugAsync()
    {
        if (Caller.From(User) is null)
        {
            return null;
        }

        await using var db = await DbAsync();
        return await VisiblePatientAsync(db, await PatientInViewAsync(db, PatientId)) is { } patient
            ? (await TherapyService.EnrolledDrugsAsync(db, patient.Id, Ct)).Cast<Drug?>().FirstOrDefault()
            : null;
    }

    public static string Plain(ActionLevel? level) => level switch
    {
        ActionLevel.EmergencyNow => "Get emergency help now: call 911.",
        ActionLevel.StopAndCall => "Stop taking your medicine and call your prescriber now.",
        ActionLevel.CallYourProvider => "Call your prescriber or care team today.",
        ActionLevel.MentionAtNextVisit => "Mention it at your next visit (sooner if it gets worse).",
        _ => "We could not match this to a known warning sign. If you are worried, call your care team.",
    };
}
