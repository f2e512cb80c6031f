using System.Text.Json;
using ImidCare.Rules;
using ImidCare.Rules.Programs;
using ImidCare.Store.Entities;
using NodaTime;
using Db = ImidCare.Store.Entities;

namespace ImidCare.Server.Interop.Fhir;

/// <summary>Our records as FHIR R4 resources.</summary>
public static class FhirResources
{
    public static FhirReference PatientRef(string ourId, string? display = null) => new($"Patient/{FhirFormat.Id(ourId)}", display);

    /// <summary>
    /// <c>active</c> is false once every enrollment the patient had is disenrolled: the record is
    /// then kept but no longer in use by any program, which is what FHIR's flag tells a client that
    /// filters patient lists. A deactivated (paused) enrollment is still in use and may come back.
    /// </summary>
    public static Patient Patient(Db.Patient p, IEnumerable<Enrollment> enrollments)
    {
        var list = enrollments as IReadOnlyCollection<Enrollment> ?? [.. enrollments];
        return new()
        {
            Id = FhirFormat.Id(p.Id),
            Identifier = [new Identifier(Systems.RemsPatientId, p.Id), .. list.Select(e => new Identifier(Systems.RemsCaseNumber, e.Id))],
            Active = list.Count == 0 || list.Any(e => e.Status != nameof(Rules.Rems.EnrollmentStatus.Disenrolled)),
            Name = [Name(p.Name)],
            Gender = p.Sex.ToLowerInvariant() switch { "female" => "female", "male" => "male", _ => "unknown" },
            BirthDate = FhirFormat.Date(p.DateOfBirth),
        };
    }

    public static HumanName Name(string text)
    {
        var tokens = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return tokens.Length < 2
            ? new HumanName("official", text, text)
            : new HumanName("official", text, tokens[^1], [.. tokens[..^1]]);
    }

    public static Practitioner Practitioner(Prescriber p) => new()
    {
        Id = FhirFormat.Id(p.Id),
        Identifier = [new Identifier(Systems.Npi, p.Npi)],
        Active = true,
        Name = [Name(p.Name.StartsWith("Dr. ", StringComparison.Ordinal) ? p.Name[4..] : p.Name)],
    };

    public static Organization Organization(Pharmacy p) => new()
    {
        Id = FhirFormat.Id(p.Id),
        Identifier = [new Identifier(Systems.NcpdpId, p.NcpdpId), new Identifier(Systems.Npi, p.Npi)],
        Active = true,
        Type = [CodeableConcept.Of("http://terminology.hl7.org/CodeSystem/organization-type", "prov", "Healthcare Provider")],
        Name = p.Name,
        PartOf = p.HeadquartersId is null ? null : new FhirReference($"Organization/{FhirFormat.Id(p.HeadquartersId)}"),
    };

    public static HealthcareService HealthcareService(Pharmacy p, IEnumerable<PharmacyCertification> certifications) => new()
    {
        Id = FhirFormat.Id(p.Id),
        Identifier = [new Identifier(Systems.NcpdpId, p.NcpdpId)],
        Active = true,
        ProvidedBy = new FhirReference($"Organization/{FhirFormat.Id(p.Id)}", p.Name),
        Type = [CodeableConcept.Of("http://terminology.hl7.org/CodeSystem/service-type", "64", "Pharmacy")],
        Name = p.Name,
        Comment = Certifications(certifications),
    };

    public static string Certifications(IEnumerable<PharmacyCertification> certifications)
    {
        var list = certifications.Select(c => $"{c.ProgramId}: {c.Status.ToLowerInvariant()}").ToList();
        return list.Count == 0 ? "REMS certification: none" : "REMS certification: " + string.Join(", ", list);
    }

    public static MedicationRequest MedicationRequest(AuthorizationRecord a, Instant now) => new()
    {
        Id = FhirFormat.Id(a.Number),
        Identifier = [new Identifier(Systems.AuthorizationNumber, a.Number)],
        Status = a.State switch
        {
            nameof(Rules.Rems.AuthorizationState.Dispensed) => "completed",
            nameof(Rules.Rems.AuthorizationState.Revoked) => "cancelled",
            _ when now >= a.ExpiresAt => "stopped",
            _ => "active",
        },
        Intent = "order",
        MedicationCodeableConcept = DrugCodes.Concept(a.Drug),
        Subject = PatientRef(a.PatientId),
        AuthoredOn = FhirFormat.Instant(a.IssuedAt),
        Requester = new FhirReference($"Practitioner/{FhirFormat.Id(a.PrescriberId)}"),
        DispenseRequest = new DispenseRequest(
            new FhirPeriod(FhirFormat.Instant(a.IssuedAt), FhirFormat.Instant(a.ExpiresAt)), 0,
            new Duration(a.DaysSupply, "days", "http://unitsofmeasure.org", "d")),
    };

    public static MedicationDispense MedicationDispense(DispenseRecord d, string drug)
    {
        var ndc = Rules.Rems.Ndc.TryParse(d.Ndc, out var n, out _) ? n.Value.ToString() : d.Ndc;
        var concept = DrugCodes.Concept(drug);
        return new MedicationDispense
        {
            Id = FhirFormat.Id(d.Id),
            Identifier = [new Identifier(Systems.ConfirmationNumber, d.ConfirmationNumber)],
            Status = "completed",
            MedicationCodeableConcept = concept with { Coding = [new Coding(Systems.Ndc, ndc), .. concept.Coding ?? []] },
            Subject = PatientRef(d.PatientId),
            Performer = [new DispensePerformer(new FhirReference($"Organization/{FhirFormat.Id(d.PharmacyId)}"))],
            AuthorizingPrescription = [new FhirReference($"MedicationRequest/{FhirFormat.Id(d.AuthorizationNumber)}")],
            Quantity = new Quantity(d.Quantity, "capsules"),
            DaysSupply = new Quantity(d.DaysSupply, "days", "http://unitsofmeasure.org", "d"),
            WhenHandedOver = FhirFormat.Instant(d.At),
        };
    }

    public static Observation PregnancyTest(PregnancyTestRecord t) => new()
    {
        Id = FhirFormat.Id(t.Id),
        Status = "final",
        Category = [CodeableConcept.Of("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory")],
        Code = new CodeableConcept([new Coding("https://imidcare.example/fhir/CodeSystem/observation", "pregnancy-test", "Pregnancy test (hCG)")], "Pregnancy test (hCG)"),
        Subject = PatientRef(t.PatientId),
        EffectiveDateTime = FhirFormat.Instant(t.SpecimenAt),
        Issued = FhirFormat.Instant(t.RecordedAt),
        ValueCodeableConcept = t.Result switch
        {
            "Negative" => CodeableConcept.Of("http://snomed.info/sct", "260385009", "Negative"),
            "Positive" => CodeableConcept.Of("http://snomed.info/sct", "10828004", "Positive"),
            _ => new CodeableConcept(null, t.Result),
        },
        Note = [new Annotation($"Sensitivity {t.SensitivityMiuPerMl} mIU/mL; setting: {t.Setting.ToLowerInvariant()}; verified by {t.VerifiedBy}.")],
    };

    /// <summary>
    /// One analyte of a lab or myeloma assessment record: its Observation id is the record id plus
    /// the analyte key, so a read finds it again. LOINC where the analyte has a code we are sure of;
    /// our own code system otherwise (the involved/uninvolved free light chains are not kappa/lambda
    /// as recorded, and the 24-hour urine M-protein and marrow percentage are kept as assessed).
    /// </summary>
    public sealed record LabAnalyte(string Key, string System, string Code, string Display, string Unit, string UcumCode);

    public static class LabAnalytes
    {
        private const string Ucum = "http://unitsofmeasure.org";
        private const string Local = "https://imidcare.example/fhir/CodeSystem/observation";

        public static readonly LabAnalyte Anc = new("anc", Systems.Loinc, "751-8", "Neutrophils [#/volume] in Blood by Automated count", "cells/mcL", "/uL");
        public static readonly LabAnalyte Platelets = new("plt", Systems.Loinc, "777-3", "Platelets [#/volume] in Blood by Automated count", "/mcL", "/uL");
        public static readonly LabAnalyte Hemoglobin = new("hgb", Systems.Loinc, "718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", "g/dL");
        public static readonly LabAnalyte Creatinine = new("creat", Systems.Loinc, "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", "mg/dL");
        public static readonly LabAnalyte Calcium = new("ca", Systems.Loinc, "17861-6", "Calcium [Mass/volume] in Serum or Plasma", "mg/dL", "mg/dL");
        public static readonly LabAnalyte SerumMProtein = new("spep", Systems.Loinc, "33358-3", "Protein.monoclonal [Mass/volume] in Serum or Plasma by Electrophoresis", "g/dL", "g/dL");
        public static readonly LabAnalyte FlcRatio = new("klratio", Systems.Loinc, "48378-4", "Kappa light chains.free/Lambda light chains.free [Mass Ratio] in Serum or Plasma", "ratio", "{ratio}");
        public static readonly LabAnalyte UrineMProtein = new("upep", Local, "urine-m-protein-24h", "Urine M-protein (24-hour)", "mg/24 h", "mg/(24.h)");
        public static readonly LabAnalyte InvolvedFlc = new("iflc", Local, "involved-flc", "Involved serum free light chain", "mg/dL", "mg/dL");
        public static readonly LabAnalyte UninvolvedFlc = new("uflc", Local, "uninvolved-flc", "Uninvolved serum free light chain", "mg/dL", "mg/dL");
        public static readonly LabAnalyte MarrowPlasmaCells = new("bmpc", Local, "marrow-plasma-cells", "Bone marrow clonal plasma cells", "%", "%");

        public static readonly IReadOnlyList<LabAnalyte> All = [Anc, Platelets, Hemoglobin, Creatinine, Calcium, SerumMProtein, FlcRatio, UrineMProtein, InvolvedFlc, UninvolvedFlc, MarrowPlasmaCells];

        public static Observation Observation(string recordId, string patientId, LabAnalyte a, decimal value, LocalDate taken, Instant recorded) => new()
        {
            Id = FhirFormat.Id($"{recordId}_{a.Key}"),
            Status = "final",
            Category = [CodeableConcept.Of("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory")],
            Code = new CodeableConcept([new Coding(a.System, a.Code, a.Display)], a.Display),
            Subject = PatientRef(patientId),
            EffectiveDateTime = FhirFormat.Date(taken),
            Issued = FhirFormat.Instant(recorded),
            ValueQuantity = new Quantity(value, a.Unit, Ucum, a.UcumCode),
        };
    }

    /// <summary>The counts of a lab entry (ANC, platelets, hemoglobin), one Observation each.</summary>
    public static IEnumerable<Observation> Labs(LabResultRecord r)
    {
        (LabAnalyte Analyte, decimal? Value)[] values = [(LabAnalytes.Anc, r.Anc), (LabAnalytes.Platelets, r.Platelets), (LabAnalytes.Hemoglobin, r.HemoglobinGdL)];
        return values.Where(v => v.Value is not null).Select(v => LabAnalytes.Observation(r.Id, r.PatientId, v.Analyte, v.Value!.Value, r.TakenOn, r.RecordedAt));
    }

    /// <summary>The measured values of a myeloma assessment (M-protein, light chains, calcium, hemoglobin, creatinine, marrow).</summary>
    public static IEnumerable<Observation> Assessment(MyelomaAssessmentRecord r)
    {
        Rules.Response.MyelomaAssessment? m;
        try
        {
            m = JsonSerializer.Deserialize<Rules.Response.MyelomaAssessment>(r.ValuesJson, Infrastructure.Json.Options);
        }
        catch (JsonException)
        {
            m = null;
        }

        if (m is null)
        {
            return [];
        }

        (LabAnalyte Analyte, decimal? Value)[] values =
        [
            (LabAnalytes.SerumMProtein, m.SerumMProteinGdL), (LabAnalytes.UrineMProtein, m.UrineMProteinMgPer24h), (LabAnalytes.InvolvedFlc, m.InvolvedFlcMgDl),
            (LabAnalytes.UninvolvedFlc, m.UninvolvedFlcMgDl), (LabAnalytes.FlcRatio, m.KappaLambdaRatio), (LabAnalytes.MarrowPlasmaCells, m.MarrowPlasmaCellPct),
            (LabAnalytes.Calcium, m.CalciumMgDl), (LabAnalytes.Hemoglobin, m.HemoglobinGdL), (LabAnalytes.Creatinine, m.CreatinineMgDl),
        ];
        return values.Where(v => v.Value is not null).Select(v => LabAnalytes.Observation(r.Id, r.PatientId, v.Analyte, v.Value!.Value, r.Date, r.RecordedAt));
    }

    public static QuestionnaireResponse Survey(SurveyRecord s, string fhirBase) => new()
    {
        Id = FhirFormat.Id(s.Id),
        Questionnaire = $"{fhirBase}/Questionnaire/{QuestionnaireCatalog.PatientSurvey}",
        Status = "completed",
        Subject = PatientRef(s.PatientId),
        Authored = FhirFormat.Instant(s.CompletedAt),
        Item = FhirJson.Many(AnswerItems(s.AnswersJson).Append(new ResponseItem("outcome", "Outcome", [new Answer(ValueString: s.Outcome)]))),
    };

    public static QuestionnaireResponse EnrollmentForm(Enrollment e, string fhirBase) => new()
    {
        Id = FhirFormat.Id(e.Id),
        Questionnaire = $"{fhirBase}/Questionnaire/{QuestionnaireCatalog.PatientEnrollment}",
        Status = "completed",
        Subject = PatientRef(e.PatientId),
        Authored = FhirFormat.Instant(e.EnrolledAt),
        Item = FhirJson.Many(
            new[] { new ResponseItem("program", "Program", [new Answer(ValueString: e.ProgramId)]), new ResponseItem("category", "Risk category", [new Answer(ValueString: e.Category)]) }
                .Concat(AnswerItems(e.FactsJson))),
    };

    /// <summary>Flat JSON answers (name → boolean/string) as QuestionnaireResponse items; anything else is skipped.</summary>
    private static IEnumerable<ResponseItem> AnswerItems(string json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            yield break;
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                yield break;
            }

            foreach (var p in doc.RootElement.EnumerateObject())
            {
                Answer? a = p.Value.ValueKind switch
                {
                    JsonValueKind.True => new Answer(true),
                    JsonValueKind.False => new Answer(false),
                    JsonValueKind.String when p.Value.GetString() is { Length: > 0 } v => new Answer(ValueString: v),
                    _ => null,
                };
                if (a is not null)
                {
                    yield return new ResponseItem(p.Name, null, [a]);
                }
            }
        }
    }

    public static DocumentReference Agreement(Db.Agreement a, string patientId, string fhirBase) => new()
    {
        Id = FhirFormat.Id(a.Id),
        Identifier = [new Identifier("https://imidcare.example/fhir/sid/agreement", a.Id)],
        Status = "current",
        Type = CodeableConcept.Of(Systems.Loinc, "51851-4", "Administrative note"),
        Category = [CodeableConcept.Of("http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", "clinical-note", "Clinical Note")],
        Subject = PatientRef(patientId),
        Date = FhirFormat.Instant(a.SignedAt),
        Author = [new FhirReference(Display: $"{a.SignedBy} ({a.SignerRole})")],
        Authenticator = new FhirReference($"Practitioner/{FhirFormat.Id(a.WitnessedBy)}"),
        Description = $"Signed Patient-Physician Agreement, text {a.TextVersion} (SHA-256 {a.TextSha256}).",
        Content = [new DocumentContent(new Attachment("text/plain", $"{fhirBase}/DocumentReference/{FhirFormat.Id(a.Id)}", $"Patient-Physician Agreement {a.TextVersion}", FhirFormat.Instant(a.SignedAt)))],
    };
}

/// <summary>FHIR errors, and Decision → OperationOutcome issues.</summary>
public static class Outcomes
{
    public static OperationOutcome Error(string code, string diagnostics, string severity = "error") => new()
    {
        Issue = [new Issue(severity, code) { Diagnostics = diagnostics }],
    };

    public static IResult Result(int status, string code, string diagnostics) => FhirJson.Result(Error(code, diagnostics), status);

    /// <summary>One issue per failing reason (or one information issue per checked rule when allowed), coded with our reason code.</summary>
    public static OperationOutcome FromDecision(Decision d) => new()
    {
        Issue = d.Reasons.IsEmpty
            ? [new Issue("information", "informational") { Diagnostics = d.Outcome.ToString() }]
            : [.. d.Reasons.Select(r => new Issue(d.IsAllowed ? "information" : "error", d.IsAllowed ? "informational" : "business-rule")
            {
                Details = new CodeableConcept([new Coding(Systems.ReasonCode, r.Code, Requirements.Classify(r.Code).Name)], r.Message),
                Diagnostics = r.Source.ToString(),
            })],
    };
}

/// <summary>Decision → the IG's $rems-etasu output (Parameters with a GuidanceResponse and contained per-requirement GuidanceResponses).</summary>
public static class Etasu
{
    public const string ModuleUri = "http://hl7.org/fhir/us/medication-rems/OperationDefinition/rems-etasu";

    public static Parameters Output(RemsOutcome? outcome, FhirReference? subject, string? failureNote, Instant now)
    {
        var inner = new List<Parameter>();
        string status;
        var notes = new List<Annotation>();
        List<CodeableConcept>? reasonCodes = null;
        if (outcome is null)
        {
            status = "failure";
            notes.Add(new Annotation(failureNote ?? "No REMS case was found."));
        }
        else
        {
            var missing = Requirements.Missing(outcome.Decision);
            var items = Requirements.For(outcome.Facts.Category, outcome.Stage == RemsStatus.StageDispensing).ToList();
            items.AddRange(missing.Select(m => m.Requirement).Where(r => !items.Contains(r)));
            foreach (var req in items)
            {
                var failing = missing.FirstOrDefault(m => m.Requirement == req).Reasons ?? [];
                inner.Add(new Parameter(req.Name)
                {
                    Resource = new GuidanceResponse
                    {
                        ModuleUri = ModuleUri,
                        Status = failing.Count == 0 ? "success" : "data-required",
                        Subject = subject,
                        ReasonCode = FhirJson.Many(failing.Select(r => new CodeableConcept([new Coding(Systems.ReasonCode, r.Code)], r.Message))),
                        Note = [new Annotation(req.Name), .. failing.Select(r => new Annotation(r.Message))],
                    },
                });
            }

            inner.Add(new Parameter("case_number") { ValueString = outcome.CaseNumber });
            status = outcome.Decision.IsAllowed ? "success" : "data-required";
            notes.Add(new Annotation($"{outcome.Program.Name}, {outcome.Drug}: {(outcome.Decision.IsAllowed ? "all requirements met" : "requirements outstanding")} ({outcome.Stage})."));
            reasonCodes = FhirJson.Many(missing.SelectMany(m => m.Reasons).Select(r => new CodeableConcept([new Coding(Systems.ReasonCode, r.Code)], r.Message)));
        }

        var guidance = new GuidanceResponse
        {
            Contained = [new Parameters { Id = "etasuOutputParameters", Parameter = FhirJson.Many(inner) }],
            ModuleUri = ModuleUri,
            Status = status,
            Subject = subject,
            OccurrenceDateTime = FhirFormat.Instant(now),
            ReasonCode = reasonCodes,
            Note = notes,
            OutputParameters = new FhirReference("#etasuOutputParameters"),
        };
        var parameters = new List<Parameter> { new("rems-etasu") { Resource = guidance } };
        if (outcome is { Decision.IsAllowed: false })
        {
            parameters.Add(new Parameter("outcome") { Resource = Outcomes.FromDecision(outcome.Decision) });
        }

        return new Parameters { Parameter = parameters };
    }
}
