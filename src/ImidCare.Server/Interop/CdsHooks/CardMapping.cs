using ImidCare.Rules;
using ImidCare.Server.Interop.Fhir;

namespace ImidCare.Server.Interop.CdsHooks;

/// <summary>Where card links point and what they carry (SMART launch URL, our FHIR base, the order and coverage).</summary>
public sealed record CardContext(string SmartLaunchUrl, string FhirBase, string? OrderId, string? CoverageRef, string? PatientRef, string? UserRef, string Now);

/// <summary>
/// Decision → CDS Hooks cards. One card per stakeholder with something missing (as the IG's
/// examples), listing every failing reason; SMART links and deferred Task suggestions for the
/// requirements that have a form. The requirement names come from <see cref="Requirements"/>.
/// </summary>
public static class CardMapping
{
    public const string ReasonsExtension = "com.imidcare.reasons";

    public static IReadOnlyList<CdsCard> Cards(RemsOutcome outcome, CardContext ctx)
    {
        var program = outcome.Program;
        var source = new CdsSource(program.Name, "https://imidcare.example/programs/" + program.Id);
        if (outcome.Decision.IsAllowed)
        {
            return
            [
                new CdsCard
                {
                    Uuid = Guid.NewGuid().ToString(),
                    Summary = Fit($"{program.Name}: requirements met for {outcome.Drug}"),
                    Detail = outcome.Stage == RemsStatus.StagePrescribing
                        ? $"Case {outcome.CaseNumber}. Every REMS condition for a new prescription holds now. Complete the prescriber survey in ImidCare to receive the authorization number, and write it on the prescription."
                        : $"Case {outcome.CaseNumber}. The pharmacy may obtain a confirmation number.",
                    Indicator = "info",
                    Source = source,
                    Extension = new Dictionary<string, object> { [ReasonsExtension] = Array.Empty<string>(), ["com.imidcare.case-number"] = outcome.CaseNumber },
                },
            ];
        }

        var cards = new List<CdsCard>();
        foreach (var group in Requirements.Missing(outcome.Decision).GroupBy(m => m.Requirement.Stakeholder))
        {
            var items = group.ToList();
            var reasons = items.SelectMany(i => i.Reasons).ToList();
            var who = group.Key switch
            {
                Stakeholder.Patient => "Patient",
                Stakeholder.Prescriber => "Prescriber",
                Stakeholder.Pharmacy => "Pharmacy",
                _ => "Prescription",
            };
            var links = new List<CdsLink>();
            var suggestions = new List<CdsSuggestion>();
            foreach (var req in items.Select(i => i.Requirement).Where(r => r.Questionnaire is not null).Distinct())
            {
                var appContext = AppContext(ctx, req.Questionnaire!);
                links.Add(new CdsLink($"{req.Name} form", ctx.SmartLaunchUrl, "smart", appContext));
                suggestions.Add(Suggestion(ctx, req, appContext));
            }

            cards.Add(new CdsCard
            {
                Uuid = Guid.NewGuid().ToString(),
                Summary = Fit($"{program.Name}: {who.ToLowerInvariant()} needs {string.Join(", ", items.Select(i => i.Requirement.Name))}"),
                Detail = $"Case {outcome.CaseNumber}, {outcome.Drug}:\n\n" + string.Join("\n", reasons.Select(r => $"- **{Requirements.Classify(r.Code).Name}**: {r.Message} (`{r.Code}`)")),
                Indicator = Indicator(reasons),
                Source = source,
                Links = links.Count == 0 ? null : links,
                Suggestions = suggestions.Count == 0 ? null : suggestions,
                SelectionBehavior = suggestions.Count == 0 ? null : "any",
                Extension = new Dictionary<string, object> { [ReasonsExtension] = reasons.Select(r => r.Code).ToArray(), ["com.imidcare.case-number"] = outcome.CaseNumber },
            });
        }

        return cards;
    }

    /// <summary>A positive pregnancy test or an open hold is critical; anything else missing is a warning.</summary>
    public static string Indicator(IEnumerable<Reason> reasons) =>
        reasons.Any(r => r.Code is "REMS.PREGNANCY_TEST_POSITIVE" || r.Code.StartsWith("REMS.HOLD_", StringComparison.Ordinal)) ? "critical" : "warning";

    public static string AppContext(CardContext ctx, string questionnaire) =>
        $"questionnaire={ctx.FhirBase}/Questionnaire/{questionnaire}"
        + (ctx.OrderId is null ? string.Empty : $"&order=MedicationRequest/{ctx.OrderId}")
        + (ctx.CoverageRef is null ? string.Empty : $"&coverage={ctx.CoverageRef}");

    /// <summary>The deferred-launch suggestion for a requirement's form.</summary>
    public static CdsSuggestion Suggestion(CardContext ctx, Requirement req, string appContext) =>
        new($"Add \"{req.Name}\" to the task list", Guid.NewGuid().ToString(), [new CdsAction("create", $"Create a task to complete the {req.Name} form", Task(ctx, req, appContext))]);

    /// <summary>A deferred SMART launch (IG profile medication-rems-task-smart-launch).</summary>
    private static FhirTask Task(CardContext ctx, Requirement req, string appContext) => new()
    {
        Meta = new Meta(Profile: ["http://hl7.org/fhir/us/medication-rems/StructureDefinition/medication-rems-task-smart-launch"]),
        Status = "ready",
        Intent = "proposal",
        Code = new CodeableConcept([new Coding("http://hl7.org/fhir/smart-app-launch/CodeSystem/smart-codes", "launch-app-ehr", "Launch application using the SMART EHR launch")]),
        Description = $"Complete the {req.Name} form",
        For = ctx.PatientRef is null ? null : new FhirReference(ctx.PatientRef),
        AuthoredOn = ctx.Now,
        Requester = new FhirReference(Display: "ImidCare REMS Administrator"),
        Owner = ctx.UserRef is null ? null : new FhirReference(ctx.UserRef),
        ReasonReference = ctx.OrderId is null ? null : new FhirReference($"MedicationRequest/{ctx.OrderId}"),
        Input =
        [
            new TaskInput(new CodeableConcept([new Coding("http://hl7.org/fhir/smart-app-launch/CodeSystem/smart-codes", "smartonfhir-application", "SMART on FHIR application URL.")])) { ValueUrl = ctx.SmartLaunchUrl },
            new TaskInput(new CodeableConcept([new Coding("http://hl7.org/fhir/smart-app-launch/CodeSystem/smart-codes", "smartonfhir-appcontext", "Application context related to this launch.")])) { ValueString = appContext },
        ],
    };

    /// <summary>CDS Hooks summaries are under 140 characters.</summary>
    public static string Fit(string summary) => summary.Length < 140 ? summary : summary[..136] + "...";

    /// <summary>A card for something the hook could not decide on (no match, ambiguous match, bad request).</summary>
    public static CdsCard Notice(string label, string summary, string detail, string indicator, CdsLink? link = null) => new()
    {
        Uuid = Guid.NewGuid().ToString(),
        Summary = Fit(summary),
        Detail = detail,
        Indicator = indicator,
        Source = new CdsSource(label),
        Links = link is null ? null : [link],
    };
}
