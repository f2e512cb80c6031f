using ImidCare.Store.Entities;
using ImidCare.Rules.Rems;
using ImidCare.Server.Rems;
using Microsoft.AspNetCore.Mvc;

namespace ImidCare.Server.Pages.Me;

/// <summary>The patient's own mandatory survey (the API's survey handler: risk answers open a hold).</summary>
public sealed class SurveyModel : MePage
{
    [BindProperty]
    public SurveyInput Input { get; set; } = new();

    public SurveyReply? Result { get; private set; }

    // The survey is the patient's own answer (the API takes it from the patient only): a caregiver
    // is refused here rather than shown a form whose answer the API would refuse.
    public async Task<IActionResult> OnGetAsync()
    {
        return Me.Role == Roles.Patient && await LoadPatientAsync(null) ? Page() : Forbid();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (Me.Role != Roles.Patient || !await LoadPatientAsync(null))
        {
            return Forbid();
        }

        foreach (var (name, value) in Input.Answers())
        {
            if (value is null)
            {
                ModelState.AddModelError($"Input.{name}", "Please answer yes or no.");
            }
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var answers = new PatientSurveyAnswers(Input.SharedCapsules!.Value, Input.DonatedBlood!.Value, Input.DonatedSperm!.Value,
            Input.MissedContraception!.Value, Input.UnprotectedContact!.Value, Input.PossiblePregnancy!.Value);
        var me = Me;
        var id = Patient.Id;
        var reply = await WriteAsync((db, audit, now) => MonitoringEndpoints.TakeSurveyAsync(me, id, new SurveyRequest(answers), db, audit, now, Ct));
        if (Accept(reply))
        {
            Result = (SurveyReply)reply.Body!;
        }

        return Page();
    }

    public sealed class SurveyInput
    {
        public bool? SharedCapsules { get; set; }

        public bool? DonatedBlood { get; set; }

        public bool? DonatedSperm { get; set; }

        public bool? MissedContraception { get; set; }

        public bool? UnprotectedContact { get; set; }

        public bool? PossiblePregnancy { get; set; }

        public IEnumerable<(string Name, bool? Value)> Answers() =>
        [
            (nameof(SharedCapsules), SharedCapsules), (nameof(DonatedBlood), DonatedBlood), (nameof(DonatedSperm), DonatedSperm),
            (nameof(MissedContraception), MissedContraception), (nameof(UnprotectedContact), UnprotectedContact), (nameof(PossiblePregnancy), PossiblePregnancy),
        ];
    }
}
