using System.Text.Json;
using ImidCare.Server.Rems;
using ImidCare.Store;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Interop.Fhir;

/// <summary>
/// QuestionnaireResponse/$submit as rems-smart-on-fhir sends it: a message Bundle holding the
/// completed QuestionnaireResponse, the Patient and the MedicationRequest. The form is matched to
/// one of our Questionnaires and our patient, its receipt is written to the audit chain, and the
/// answer is the case number with the current requirement status. Enrollment and surveys change
/// REMS state only through the JSON API (which runs their rules); the form does not bypass them.
/// </summary>
public static class FhirSubmit
{
    public static async Task<IResult> Submit(HttpContext http, WriteGate gate, IClock clock, CancellationToken ct)
    {
        var caller = await InteropAuth.CallerAsync(http);
        if (caller is null)
        {
            return Outcomes.Result(401, "login", "Authentication required.");
        }

        var (body, bad) = await FhirEndpoints.ReadBodyAsync(http);
        if (bad is not null)
        {
            return bad;
        }

        var resources = FhirInput.IsResource(body, "Bundle")
            ? FhirInput.Array(body, "entry").Select(e => FhirInput.Prop(e, "resource")).Where(r => r.ValueKind == JsonValueKind.Object).ToList()
            : FhirInput.IsResource(body, "QuestionnaireResponse") ? [body] : [];
        var response = resources.FirstOrDefault(r => FhirInput.IsResource(r, "QuestionnaireResponse"));
        if (response.ValueKind != JsonValueKind.Object)
        {
            return Outcomes.Result(400, "required", "The body must be a message Bundle containing a QuestionnaireResponse (or a QuestionnaireResponse).");
        }

        var questionnaire = FhirFormat.LastSegment(FhirInput.Str(response, "questionnaire"));
        if (questionnaire is null || !QuestionnaireCatalog.Ids.Contains(questionnaire))
        {
            return Outcomes.Result(422, "not-found", $"The QuestionnaireResponse answers '{questionnaire}', which is not one of our forms ({string.Join(", ", QuestionnaireCatalog.Ids)}).");
        }

        var patient = resources.FirstOrDefault(r => FhirInput.IsResource(r, "Patient"));
        var order = resources.FirstOrDefault(r => FhirInput.IsResource(r, "MedicationRequest"));
        var drug = DrugCodes.FromMedicationResource(order);
        var status = FhirInput.Str(response, "status");
        var items = FhirInput.Array(response, "item").Count();
        var now = clock.GetCurrentInstant();

        var result = await gate.RunAsync(async (db, audit, at) =>
        {
            var match = await PatientMatcher.MatchAsync(db, caller, patient, FhirInput.Str(FhirInput.Prop(response, "subject"), "reference"), ct);
            PatientFacts? facts = null;
            RemsOutcome? outcome = null;
            if (match.Found)
            {
                facts = await PatientFacts.LoadAsync(db, match.Patient!.Id, DrugCodes.Program(drug), at, ct);
                if (facts is not null)
                {
                    outcome = await RemsStatus.EvaluateAsync(db, caller, facts, drug ?? facts.Program.Drugs[0], at, null, null, ct);
                }
            }

            audit.Append(caller.AsActor(caller.PharmacyId ?? caller.PrescriberId), "interop.form-received",
                match.Found ? $"patient/{match.Patient!.Id}" : "interop/unmatched",
                AuditData.Of(new { questionnaire, status, items, drug, matched = match.How, caseNumber = outcome?.CaseNumber }));
            return (match, outcome);
        }, ct);

        var (m, o) = result;
        var outcomeResource = o is null
            ? Outcomes.Error("not-found", m.Ambiguous
                ? $"{m.Candidates} enrolled patients match; include our REMS patient id ({Systems.RemsPatientId})."
                : "No enrolled patient matches this form; enroll the patient through ImidCare (POST /api/v1/patients).", "warning")
            : Outcomes.FromDecision(o.Decision);
        var answer = new Dictionary<string, object?>
        {
            ["case_number"] = o?.CaseNumber,
            ["status"] = o is null ? "NotFound" : o.Decision.IsAllowed ? "Approved" : "Pending",
            ["questionnaire"] = questionnaire,
            ["received"] = FhirFormat.Instant(now),
            ["outcome"] = JsonSerializer.SerializeToElement(outcomeResource, FhirJson.Options),
            ["response"] = new Dictionary<string, object?>
            {
                ["returnedRemsRequestDoc"] = new Dictionary<string, object?>
                {
                    ["case_number"] = o?.CaseNumber,
                    ["status"] = o is null ? "NotFound" : o.Decision.IsAllowed ? "Approved" : "Pending",
                    ["drugName"] = o?.Drug,
                    ["metRequirements"] = o is null ? null : Requirements.For(o.Facts.Category, false).Select(r => new
                    {
                        requirementName = r.Name,
                        completed = Requirements.Missing(o.Decision).All(x => x.Requirement != r),
                    }),
                },
            },
        };
        return Results.Json(answer, FhirJson.Options, "application/json", 201);
    }
}
