using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Interop.Fhir;

/// <summary>
/// QuestionnaireResponse/$submit as rems-smart-on-fhir sends it: a message Bundle holding the
/// completed QuestionnaireResponse, the Patient, the Practitioner and the MedicationRequest.
/// The form is matched to one of our Questionnaires and our patient, and then does what the JSON
/// API does with the same answers, through the same cores and therefore the same rules, access
/// checks and audit records:
/// <list type="bullet">
/// <item>patient enrollment → <see cref="PatientEndpoints.EnrollAsync"/> for a new patient; for a
/// patient already enrolled, <see cref="PatientEndpoints.ReviewCategoryAsync"/> when the reproductive
/// facts changed, nothing when they did not;</item>
/// <item>patient survey → <see cref="MonitoringEndpoints.TakeSurveyAsync"/> (only the patient
/// answers their own survey, so it needs the patient's session);</item>
/// <item>prescriber enrollment → receipt only (certification attests training; JSON API).</item>
/// </list>
/// The answer (HTTP 201, plain JSON as the SMART app reads it) carries the case number, what was
/// recorded, and an OperationOutcome of what is still missing. A retry of the same form (or the
/// same Idempotency-Key) within Writes.KeyRetention gets the stored answer and changes nothing.
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

        var headerKey = http.Request.Headers[Writes.Header].ToString();
        if (headerKey.Length > 200)
        {
            return Outcomes.Result(400, "invalid", "An Idempotency-Key is at most 200 characters.");
        }

        // Without a header the submission itself is the key: the same form about the same patient, prescriber
        // and order sent twice is one submission (the envelope's ids and timestamps may differ between retries).
        var form = new Form(questionnaire, response, resources, FhirInput.Str(response, "status"));
        var formHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n',
            new[] { response, form.Resource("Patient"), form.Resource("Practitioner"), form.Resource("MedicationRequest") }
                .Select(r => r.ValueKind == JsonValueKind.Object ? r.GetRawText() : string.Empty)))));
        var key = headerKey.Length > 0 ? headerKey : $"fhir-submit:{formHash}";

        var (status, json) = await gate.RunAsync(async (db, audit, at) =>
        {
            // Honoured for Writes.KeyRetention, the form's own key as much as a header's: a day later the same form is a new submission.
            if (await Writes.HonouredAsync(db, caller.Id, key, at, ct) is { } seen)
            {
                return seen.RequestHash == formHash
                    ? (seen.StatusCode, seen.ResponseJson)
                    : (422, FhirJson.Serialize(Outcomes.Error("duplicate", "This Idempotency-Key was used for a different form; send a new key for a new submission.")));
            }

            var (code, answer) = await HandleAsync(db, audit, at, caller, form, http, ct);
            var text = JsonSerializer.Serialize(answer, answer.GetType(), FhirJson.Options);

            // A refusal is remembered only under a key the caller chose: the same form may succeed once what it lacked is done.
            if (code < 400 || headerKey.Length > 0)
            {
                db.IdempotencyRecords.Add(new IdempotencyRecord { CallerId = caller.Id, Key = key, RequestHash = formHash, StatusCode = code, ResponseJson = text, At = at });
            }

            return (code, text);
        }, ct);
        return Results.Content(json, status >= 400 ? FhirJson.MediaType : "application/json", Encoding.UTF8, status);
    }

    private sealed record Form(string Questionnaire, JsonElement Response, IReadOnlyList<JsonElement> Resources, string? Status)
    {
        public JsonElement Resource(string type) => Resources.FirstOrDefault(r => FhirInput.IsResource(r, type));
    }

    private static async Task<(int Status, object Body)> HandleAsync(ImidCareDb db, AuditWriter audit, Instant at, Caller caller, Form form, HttpContext http, CancellationToken ct)
    {
        var patient = form.Resource("Patient");
        var drug = DrugCodes.FromMedicationResource(form.Resource("MedicationRequest"));
        var match = await PatientMatcher.MatchAsync(db, caller, patient, FhirInput.Str(FhirInput.Prop(form.Response, "subject"), "reference"), ct);
        var answers = QuestionnaireAnswers.Read(form.Response);
        var patientId = match.Patient?.Id;
        object? recorded = null;

        if (form.Questionnaire != QuestionnaireCatalog.PrescriberEnrollment && form.Status is not ("completed" or "amended"))
        {
            return (422, Outcomes.Error("incomplete", $"Only a completed form is recorded; this one is '{form.Status ?? "(no status)"}'. Keep an in-progress form in the EHR."));
        }

        if (form.Questionnaire == QuestionnaireCatalog.PatientEnrollment)
        {
            var (req, errors) = await EnrollmentRequestAsync(db, caller, form, answers, patient, drug, ct);
            if (req is null)
            {
                return (400, Invalid(errors));
            }

            var program = ProgramCatalog.Find(req.Program)!;
            if (match.Found)
            {
                var (status, body, action) = await UpdateAsync(db, audit, at, caller, match.Patient!, program, req, ct);
                if (body is not null)
                {
                    return (status, body);
                }

                recorded = new { action, patient = patientId };
            }
            else if (match.Ambiguous)
            {
                return (409, Outcomes.Error("multiple-matches", $"{match.Candidates} enrolled patients match; include our REMS patient id ({Systems.RemsPatientId}) in the Patient."));
            }
            else
            {
                var invalid = PatientEndpoints.ValidateEnrollment(req, program, at);
                if (invalid.Count > 0)
                {
                    return (400, Invalid(invalid));
                }

                var reply = await PatientEndpoints.EnrollAsync(caller, program, req, db, audit, at, ct);
                if (reply.Body is not EnrollmentReply enrolled)
                {
                    return FromProblem(reply);
                }

                patientId = enrolled.Patient.Id;
                recorded = new { action = "enrolled", patient = patientId, category = enrolled.Patient.Category.ToString() };
            }
        }
        else if (form.Questionnaire == QuestionnaireCatalog.PatientSurvey)
        {
            if (!match.Found)
            {
                return (422, Outcomes.Error("not-found", match.Ambiguous
                    ? $"{match.Candidates} enrolled patients match; include our REMS patient id ({Systems.RemsPatientId})."
                    : "No enrolled patient matches this survey."));
            }

            var (survey, errors) = SurveyAnswers(answers);
            if (survey is null)
            {
                return (400, Invalid(errors));
            }

            var reply = await MonitoringEndpoints.TakeSurveyAsync(caller, patientId!, new SurveyRequest(survey), db, audit, at, ct);
            if (reply.Body is not SurveyReply taken)
            {
                return FromProblem(reply);
            }

            recorded = new { action = "survey-recorded", patient = patientId, survey = taken.Id, outcome = taken.Outcome, holdsOpened = taken.HoldsOpened.Select(h => h.Code) };
        }

        // The cores add; the status below must see what they added.
        await db.SaveChangesAsync(ct);
        PatientFacts? facts = patientId is null ? null : await PatientFacts.LoadAsync(db, patientId, DrugCodes.Program(drug), at, ct);
        var outcome = facts is null ? null : await RemsStatus.EvaluateAsync(db, caller, facts, drug ?? facts.Program.Drugs[0], at, null, null, ct);

        audit.Append(caller.AsActor(caller.PharmacyId ?? caller.PrescriberId ?? caller.PatientId), "interop.form-received",
            patientId is not null ? $"patient/{patientId}" : "interop/unmatched",
            audit.Data(new { questionnaire = form.Questionnaire, status = form.Status, items = answers.Count, drug, matched = match.How, caseNumber = outcome?.CaseNumber, recorded }));

        var outcomeResource = outcome is null
            ? Outcomes.Error("not-found", match.Ambiguous
                ? $"{match.Candidates} enrolled patients match; include our REMS patient id ({Systems.RemsPatientId})."
                : "No enrolled patient matches this form; submit the patient enrollment form first.", "warning")
            : Outcomes.FromDecision(outcome.Decision);
        var state = outcome is null ? "NotFound" : outcome.Decision.IsAllowed ? "Approved" : "Pending";
        return (201, new Dictionary<string, object?>
        {
            ["case_number"] = outcome?.CaseNumber,
            ["status"] = state,
            ["questionnaire"] = form.Questionnaire,
            ["received"] = FhirFormat.Instant(at),
            ["recorded"] = recorded,
            ["outcome"] = JsonSerializer.SerializeToElement(outcomeResource, FhirJson.Options),
            ["response"] = new Dictionary<string, object?>
            {
                ["returnedRemsRequestDoc"] = new Dictionary<string, object?>
                {
                    ["case_number"] = outcome?.CaseNumber,
                    ["status"] = state,
                    ["drugName"] = outcome?.Drug,
                    ["metRequirements"] = outcome is null ? null : Requirements.For(outcome.Facts.Category, false).Select(r => new
                    {
                        requirementName = r.Name,
                        completed = Requirements.Missing(outcome.Decision).All(x => x.Requirement != r),
                    }),
                },
            },
        });
    }

    /// <summary>
    /// A resubmitted enrollment form for a patient we know: the same program, and a category review
    /// only when the reproductive facts differ from those on file (so a retry changes nothing).
    /// </summary>
    private static async Task<(int Status, object? Body, string Action)> UpdateAsync(
        ImidCareDb db, AuditWriter audit, Instant at, Caller caller, Store.Entities.Patient patient, ProgramRules program, EnrollPatientRequest req, CancellationToken ct)
    {
        var enrollment = await db.Enrollments.AsNoTracking().FirstOrDefaultAsync(e => e.PatientId == patient.Id, ct);
        if (enrollment is null)
        {
            return (409, Outcomes.Error("conflict", "The patient exists without an enrollment; enroll through the JSON API."), string.Empty);
        }

        if (enrollment.ProgramId != program.Id)
        {
            return (409, Outcomes.Error("conflict", $"The patient is enrolled in {enrollment.ProgramId}; enrollment in a second program is not supported through this form."), string.Empty);
        }

        if (enrollment.FactsJson == AuditData.Of(req.Reproductive))
        {
            return (201, null, "unchanged");
        }

        var reply = await PatientEndpoints.ReviewCategoryAsync(caller, patient.Id, new CategoryReviewRequest(req.Reproductive, "Enrollment form resubmitted (FHIR $submit)"), db, audit, at, ct);
        if (reply.IsProblem)
        {
            var (status, body) = FromProblem(reply);
            return (status, body, string.Empty);
        }

        return (201, null, "category-reviewed");
    }

    private static async Task<(EnrollPatientRequest? Request, Dictionary<string, string[]> Errors)> EnrollmentRequestAsync(
        ImidCareDb db, Caller caller, Form form, IReadOnlyDictionary<string, JsonElement> a, JsonElement patient, string? drug, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string why) => errors[field] = [why];

        var name = FhirInput.Array(patient, "name").FirstOrDefault();
        var given = FhirInput.Array(name, "given").Select(g => g.ValueKind == JsonValueKind.String ? g.GetString() : null).FirstOrDefault(g => g is not null);
        var fullName = FhirInput.Str(name, "text") ?? string.Join(' ', new[] { given, FhirInput.Str(name, "family") }.Where(x => !string.IsNullOrWhiteSpace(x)));
        var birth = FhirInput.Date(FhirInput.Str(patient, "birthDate"));
        if (string.IsNullOrWhiteSpace(fullName))
        {
            Error("Patient.name", "The bundle's Patient needs a name.");
        }

        if (birth is null)
        {
            Error("Patient.birthDate", "The bundle's Patient needs a birthDate.");
        }

        var programText = QuestionnaireAnswers.Text(a, "program") ?? DrugCodes.Program(drug)?.Id;
        var program = programText is null ? null : ProgramCatalog.Find(programText);
        if (program is null)
        {
            Error("program", $"Answer 'program' with one of {string.Join(", ", ProgramCatalog.All.Select(p => p.Id))} (or send one of our drugs as the MedicationRequest).");
        }

        Sex? sex = (QuestionnaireAnswers.Text(a, "sex") ?? FhirInput.Str(patient, "gender"))?.ToLowerInvariant() switch
        {
            "female" or "f" => Sex.Female,
            "male" or "m" => Sex.Male,
            _ => null,
        };
        if (sex is null)
        {
            Error("sex", "Answer 'sex' with female or male (or send Patient.gender).");
        }

        var menses = QuestionnaireAnswers.Bool(a, "menses-last-24-months");
        if (menses is null)
        {
            Error("menses-last-24-months", "A yes/no answer is required.");
        }

        MenstrualPattern? pattern = sex == Sex.Male ? MenstrualPattern.None : QuestionnaireAnswers.Text(a, "menstrual-pattern")?.ToLowerInvariant() switch
        {
            "regular" => MenstrualPattern.Regular,
            "irregular" => MenstrualPattern.Irregular,
            "none" => MenstrualPattern.None,
            _ => null,
        };
        if (pattern is null && sex == Sex.Female)
        {
            // The pattern decides the pregnancy-test interval; it is never guessed.
            Error("menstrual-pattern", "Answer regular, irregular or none for a female patient.");
        }

        var accepted = QuestionnaireAnswers.Bool(a, "agreement-accepted") ?? false;
        var signedBy = QuestionnaireAnswers.Text(a, "signed-by");
        var role = QuestionnaireAnswers.Text(a, "signer-role")?.ToLowerInvariant() ?? "patient";
        string? prescriberId = null;
        if (caller.Role == Roles.PrescriberOffice)
        {
            prescriberId = await PrescriberOfAsync(db, form, ct);
            if (prescriberId is null)
            {
                Error("Practitioner", "An office enrolls for one of its prescribers: include the Practitioner with their NPI (or our prescriber id).");
            }
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return (new EnrollPatientRequest(
            fullName.Trim(), birth!.Value, sex!.Value, program!.Id,
            new ReproductiveAnswers(menses!.Value, QuestionnaireAnswers.Bool(a, "natural-menopause-24-months") ?? false,
                QuestionnaireAnswers.Bool(a, "hysterectomy") ?? false, QuestionnaireAnswers.Bool(a, "bilateral-oophorectomy") ?? false),
            pattern ?? MenstrualPattern.None,
            new AgreementRequest(signedBy ?? string.Empty, role, program.AgreementTextVersion, accepted),
            prescriberId, QuestionnaireAnswers.Text(a, "guardian-name")), errors);
    }

    /// <summary>The prescriber the form is for: the Practitioner's NPI, or our prescriber id in its id or the Parameters' prescriber reference.</summary>
    private static async Task<string?> PrescriberOfAsync(ImidCareDb db, Form form, CancellationToken ct)
    {
        var practitioner = form.Resource("Practitioner");
        foreach (var identifier in FhirInput.Array(practitioner, "identifier"))
        {
            if (FhirInput.Str(identifier, "system") == Systems.Npi && FhirInput.Str(identifier, "value") is { } npi
                && await db.Prescribers.Where(p => p.Npi == npi).Select(p => p.Id).FirstOrDefaultAsync(ct) is { } byNpi)
            {
                return byNpi;
            }
        }

        var reference = FhirInput.Str(FhirInput.Prop(FhirInput.Param(form.Resource("Parameters"), "prescriber"), "valueReference"), "reference");
        foreach (var id in new[] { FhirInput.Str(practitioner, "id"), FhirFormat.LastSegment(reference) })
        {
            if (id is not null && FhirFormat.Ours(id) is var ours && await db.Prescribers.AnyAsync(p => p.Id == ours, ct))
            {
                return ours;
            }
        }

        return null;
    }

    private static (PatientSurveyAnswers? Answers, Dictionary<string, string[]> Errors) SurveyAnswers(IReadOnlyDictionary<string, JsonElement> a)
    {
        var errors = new Dictionary<string, string[]>();
        bool Need(string linkId)
        {
            var v = QuestionnaireAnswers.Bool(a, linkId);
            if (v is null)
            {
                errors[linkId] = ["A yes/no answer is required."];
            }

            return v ?? false;
        }

        var answers = new PatientSurveyAnswers(Need("shared-capsules"), Need("donated-blood"), Need("donated-sperm"), Need("missed-contraception"),
            Need("unprotected-contact"), Need("possible-pregnancy"));
        return (errors.Count == 0 ? answers : null, errors);
    }

    private static OperationOutcome Invalid(IDictionary<string, string[]> errors) => new()
    {
        Issue = [.. errors.Select(e => new Issue("error", "required") { Diagnostics = $"{e.Key}: {string.Join(" ", e.Value)}", Expression = [e.Key] })],
    };

    /// <summary>A core's refusal as an OperationOutcome with the same status; a rule's refusal keeps every reason code.</summary>
    private static (int Status, object Body) FromProblem(Reply reply)
    {
        var p = (ProblemDto)reply.Body!;
        if (p.Decision is { } d)
        {
            return (reply.Status, new OperationOutcome
            {
                Issue = [.. d.Reasons.Select(r => new Issue("error", "business-rule")
                {
                    Details = new CodeableConcept([new Coding(Systems.ReasonCode, r.Code, Requirements.Classify(r.Code).Name)], r.Message),
                    Diagnostics = r.Source,
                })],
            });
        }

        var code = reply.Status switch
        {
            403 => "forbidden",
            404 => "not-found",
            409 => "conflict",
            _ => "invalid",
        };
        return (reply.Status, new OperationOutcome
        {
            Issue = p.Errors is { Count: > 0 } errors
                ? [.. errors.Select(e => new Issue("error", code) { Diagnostics = $"{e.Key}: {string.Join(" ", e.Value)}", Expression = [e.Key] })]
                : [new Issue("error", code) { Diagnostics = p.Detail ?? p.Title }],
        });
    }
}

/// <summary>
/// The answers of a QuestionnaireResponse by linkId, nested items included. LinkIds compare without
/// case and punctuation, so "signed-by", "signedBy" and "signed_by" are one question.
/// </summary>
public static class QuestionnaireAnswers
{
    public static IReadOnlyDictionary<string, JsonElement> Read(JsonElement response)
    {
        var found = new Dictionary<string, JsonElement>();
        void Walk(JsonElement owner)
        {
            foreach (var item in FhirInput.Array(owner, "item"))
            {
                if (FhirInput.Str(item, "linkId") is { } linkId && FhirInput.Array(item, "answer").FirstOrDefault() is { ValueKind: JsonValueKind.Object } answer)
                {
                    found.TryAdd(Normalize(linkId), answer);
                }

                Walk(item);
                foreach (var nested in FhirInput.Array(item, "answer"))
                {
                    Walk(nested);
                }
            }
        }

        Walk(response);
        return found;
    }

    public static bool? Bool(IReadOnlyDictionary<string, JsonElement> answers, string linkId) =>
        answers.TryGetValue(Normalize(linkId), out var a) ? FhirInput.Prop(a, "valueBoolean").ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => Text(answers, linkId)?.ToLowerInvariant() switch
            {
                "yes" or "true" or "y" => true,
                "no" or "false" or "n" => false,
                _ => null,
            },
        } : null;

    public static string? Text(IReadOnlyDictionary<string, JsonElement> answers, string linkId)
    {
        if (!answers.TryGetValue(Normalize(linkId), out var a))
        {
            return null;
        }

        var coding = FhirInput.Prop(a, "valueCoding");
        var text = FhirInput.Str(a, "valueString") ?? FhirInput.Str(coding, "code") ?? FhirInput.Str(coding, "display") ?? FhirInput.Str(a, "valueCode");
        return string.IsNullOrWhiteSpace(text) ? null : text.Trim();
    }

    private static string Normalize(string linkId) => new([.. linkId.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant)]);
}
