using ImidCare.Rules.Therapy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ImidCare.Server.Pages.Learn;

/// <summary>The symptom checker: the rules' Medication Guide triage, the action level in plain words, the numbers to call.</summary>
public sealed class SymptomsModel : PageModel
{
    [BindProperty(SupportsGet = true)]
    public Drug Drug { get; set; } = Drug.Pomalidomide;

    [BindProperty(SupportsGet = true)]
    public List<string> Symptom { get; set; } = [];

    [BindProperty(SupportsGet = true)]
    public string? Text { get; set; }

    public TriageResult? Result { get; private set; }

    public IEnumerable<SymptomRule> Choices => SymptomTriage.All.Where(r => r.Drug == Drug);

    public void OnGet()
    {
        if (Symptom.Count > 0 || !string.IsNullOrWhiteSpace(Text))
        {
            Result = SymptomTriage.Triage(Drug, Symptom, Text);
        }
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
