using ImidCare.Store.Entities;
using ImidCare.Rules.Rems;
using ImidCare.Server.Rems;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

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
        if (Me.Role != Roles.Patient || !await LoadPatientAsync(null))
        {
            return Forbid();
        }

        await AskAsync();
        return Page();
    }

    /// <summary>The questions this patient is asked, each with its wording for them.</summary>
    public IReadOnlyList<(string Name, string Text)> Questions { get; private set; } = [];

    /// <summary>
    /// Only what can apply to the patient: no sperm donation for a woman, no contraception for a woman
    /// who cannot get pregnant (the programs ask it of women who can, and of men, who use condoms),
    /// and the pregnancy question about herself or about a man's partner. What is not asked is
    /// answered "no" to the API, which is the only answer it could have.
    /// </summary>
    private async Task AskAsync()
    {
        await using var db = await DbAsync();
        var id = Patient.Id;
        var category = Enum.Parse<RiskCategory>(await db.Enrollments.AsNoTracking().Where(e => e.PatientId == id).OrderBy(e => e.ProgramId).Select(e => e.Category).FirstAsync(Ct));
        var female = Enum.Parse<Sex>(Patient.Sex, ignoreCase: true) == Sex.Female;
        var contraception = !female || category.CanGetPregnant();
        Questions =
        [
            (nameof(SurveyInput.SharedCapsules), "Since your last survey, have you shared your capsules with anyone?"),
            (nameof(SurveyInput.DonatedBlood), "Have you donated blood?"),
            .. female ? [] : new[] { (nameof(SurveyInput.DonatedSperm), "Have you donated sperm?") },
            .. contraception
                ? new[]
                {
                    (nameof(SurveyInput.MissedContraception), female ? "Have you missed any birth control, or used it wrongly?" : "Has a condom broken or slipped, or have you used one wrongly?"),
                    (nameof(SurveyInput.UnprotectedContact), female ? "Have you had sex without the birth control your program asks for?" : "Have you had sex without a condom?"),
                }
                : [],
            (nameof(SurveyInput.PossiblePregnancy), female ? "Could you be pregnant?" : "Could your partner be pregnant?"),
        ];
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (Me.Role != Roles.Patient || !await LoadPatientAsync(null))
        {
            return Forbid();
        }

        await AskAsync();
        var asked = Questions.Select(q => q.Name).ToHashSet();
        foreach (var (name, value) in Input.Answers())
        {
            if (value is null && asked.Contains(name))
            {
                ModelState.AddModelError($"Input.{name}", "Please answer yes or no.");
            }
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var answers = new PatientSurveyAnswers(Input.SharedCapsules ?? false, Input.DonatedBlood ?? false, Input.DonatedSperm ?? false,
            Input.MissedContraception ?? false, Input.UnprotectedContact ?? false, Input.PossiblePregnancy ?? false);
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
