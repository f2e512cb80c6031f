using System.Text.Json;
using ImidCare.Rules.Programs;
using ImidCare.Server.Rems;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Interop.Fhir;

/// <summary>
/// FHIR R4 read/search for the resources we hold, the CapabilityStatement, and the REMS operations
/// ($rems-etasu, $questionnaire-package, $submit). Served under /fhir and /4_0_0 (the prefix the
/// MITRE peer clients hard-code). Every error is an OperationOutcome.
/// </summary>
public static class FhirEndpoints
{
    public static readonly string[] Bases = ["/fhir", "/4_0_0"];

    private static readonly string[] Types =
    [
        "Patient", "Practitioner", "Organization", "HealthcareService", "MedicationRequest", "MedicationDispense", "Observation",
        "QuestionnaireResponse", "DocumentReference", "Questionnaire",
    ];

    public static void Map(IEndpointRouteBuilder app)
    {
        foreach (var b in Bases)
        {
            var g = app.MapGroup(b).AllowAnonymous().WithTags("FHIR");
            g.MapGet("/metadata", (HttpContext http) => FhirJson.Result(Capability(FhirBase(http)))).WithSummary("FHIR CapabilityStatement (no authentication).");
            g.MapPost("/GuidanceResponse/$rems-etasu", RemsEtasu).WithSummary("REMS ETASU status by case number or by patient + medication (HL7 Medication REMS IG).");
            g.MapPost("/Questionnaire/{id}/$questionnaire-package", Package).WithSummary("The Questionnaire as a DTR package (instance level).");
            g.MapPost("/Questionnaire/$questionnaire-package", Package).WithSummary("The Questionnaire as a DTR package (type level, questionnaire canonical in the body).");
            g.MapPost("/QuestionnaireResponse/$submit", FhirSubmit.Submit).WithSummary("Submit a completed REMS form (message Bundle); answers with the case and what is still missing.");
            g.MapGet("/{type}/{id}", Read).WithSummary("Read a resource.");
            g.MapGet("/{type}", Search).WithSummary("Search a resource type.");
            g.MapMethods("/{**rest}", ["GET", "POST", "PUT", "PATCH", "DELETE"], (string? rest) =>
                Outcomes.Result(404, "not-supported", $"'{rest}' is not an interaction this server supports; see /metadata."));
        }
    }

    public static string FhirBase(HttpContext http)
    {
        var path = http.Request.PathBase + http.Request.Path.Value;
        var prefix = Bases.FirstOrDefault(b => path.StartsWith(b + "/", StringComparison.Ordinal) || path == b) ?? "/4_0_0";
        return $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{prefix}";
    }

    private static CapabilityStatement Capability(string fhirBase)
    {
        var read = new List<CapabilityInteraction> { new("read"), new("search-type") };
        CapabilityResource R(string type, params (string Name, string Type)[] search) => new(type)
        {
            Interaction = read,
            SearchParam = FhirJson.Many(search.Select(s => new CapabilitySearchParam(s.Name, s.Type))),
        };

        return new CapabilityStatement
        {
            Url = $"{fhirBase}/metadata",
            Name = "ImidCareRemsAdministrator",
            Title = "ImidCare REMS Administrator FHIR API",
            Status = "active",
            Date = "2026-11-21",
            Publisher = "ImidCare",
            Description = "REMS administrator for lenalidomide, pomalidomide and thalidomide. Authenticate with an organisation API key (X-Api-Key or Authorization: Bearer) or a session token.",
            Kind = "instance",
            Software = new CapabilitySoftware("ImidCare"),
            Implementation = new CapabilityImplementation("ImidCare REMS administrator", fhirBase),
            FhirVersion = "4.0.1",
            Format = ["json", "application/fhir+json"],
            ImplementationGuide = ["http://hl7.org/fhir/us/medication-rems/ImplementationGuide/hl7.fhir.us.medication-rems"],
            Rest =
            [
                new CapabilityRest("server", "Read and search are limited to what the caller may see: a practice its patients, a pharmacy the patients it has dispensed to.")
                {
                    Resource =
                    [
                        R("Patient", ("_id", "token"), ("identifier", "token"), ("name", "string"), ("family", "string"), ("given", "string"), ("birthdate", "date")),
                        R("Practitioner", ("_id", "token"), ("identifier", "token"), ("name", "string")),
                        R("Organization", ("_id", "token"), ("identifier", "token"), ("name", "string")),
                        R("HealthcareService", ("_id", "token"), ("identifier", "token"), ("name", "string")),
                        R("MedicationRequest", ("_id", "token"), ("patient", "reference"), ("identifier", "token")),
                        R("MedicationDispense", ("_id", "token"), ("patient", "reference"), ("prescription", "reference")),
                        R("Observation", ("_id", "token"), ("patient", "reference"), ("code", "token"), ("category", "token")),
                        R("QuestionnaireResponse", ("_id", "token"), ("patient", "reference"), ("questionnaire", "reference")) with
                        {
                            Operation = [new CapabilityOperation("submit", $"{fhirBase}/OperationDefinition/QuestionnaireResponse-submit")],
                        },
                        R("DocumentReference", ("_id", "token"), ("patient", "reference")),
                        R("Questionnaire", ("_id", "token")) with
                        {
                            Operation = [new CapabilityOperation("questionnaire-package", "http://hl7.org/fhir/us/davinci-dtr/OperationDefinition/Questionnaire-package")],
                        },
                        new CapabilityResource("GuidanceResponse")
                        {
                            Operation = [new CapabilityOperation("rems-etasu", "http://hl7.org/fhir/us/medication-rems/OperationDefinition/REMS-ETASU")],
                        },
                    ],
                },
            ],
        };
    }

    private static async Task<(Caller? Caller, IResult? Error)> AuthAsync(HttpContext http)
    {
        var caller = await InteropAuth.CallerAsync(http);
        return caller is null
            ? (null, Outcomes.Result(401, "login", "Authentication required: an organisation API key (X-Api-Key or Authorization: Bearer) or a session token."))
            : (caller, null);
    }

    /// <summary>The patients a caller may see through FHIR: a practice its own, a patient themself, a pharmacy those it has confirmed for, staff all.</summary>
    public static async Task<IQueryable<ImidCare.Store.Entities.Patient>> VisiblePatientsAsync(ImidCareDb db, Caller caller, CancellationToken ct)
    {
        var q = db.Patients.AsNoTracking();
        if (caller.IsStaff)
        {
            return q;
        }

        switch (caller.Role)
        {
            case Roles.Prescriber:
                return q.Where(p => p.PrescriberId == caller.PrescriberId);
            case Roles.PrescriberOffice:
                var prescribers = await db.Prescribers.Where(p => p.PracticeId == caller.PracticeId).Select(p => p.Id).ToListAsync(ct);
                return q.Where(p => prescribers.Contains(p.PrescriberId));
            case Roles.Patient:
                return q.Where(p => p.Id == caller.PatientId);
            default:
                if (caller.IsPharmacy)
                {
                    var authorizations = db.Confirmations.Where(c => c.PharmacyId == caller.PharmacyId).Select(c => c.AuthorizationNumber);
                    var patients = await db.Authorizations.Where(a => authorizations.Contains(a.Number)).Select(a => a.PatientId).Distinct().ToListAsync(ct);
                    return q.Where(p => patients.Contains(p.Id));
                }

                return q.Where(p => false);
        }
    }

    private static async Task<IResult> Read(HttpContext http, string type, string id, IDbContextFactory<ImidCareDb> dbs, IClock clock, CancellationToken ct)
    {
        if (!Types.Contains(type, StringComparer.Ordinal))
        {
            return Outcomes.Result(404, "not-supported", $"Resource type '{type}' is not supported here.");
        }

        if (type == "Questionnaire")
        {
            return QuestionnaireCatalog.Find(id, FhirBase(http)) is { } q ? FhirJson.Result(q) : Outcomes.Result(404, "not-found", $"Questionnaire/{id} is not known.");
        }

        var (caller, error) = await AuthAsync(http);
        if (error is not null)
        {
            return error;
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var found = await FindAsync(db, caller!, type, new Dictionary<string, string> { ["_id"] = id }, FhirBase(http), clock.GetCurrentInstant(), ct);
        return found.Count == 1 ? FhirJson.Result(found[0]) : Outcomes.Result(404, "not-found", $"{type}/{id} was not found.");
    }

    private static async Task<IResult> Search(HttpContext http, string type, IDbContextFactory<ImidCareDb> dbs, IClock clock, CancellationToken ct)
    {
        if (!Types.Contains(type, StringComparer.Ordinal))
        {
            return Outcomes.Result(404, "not-supported", $"Resource type '{type}' is not supported here.");
        }

        var query = http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        var fhirBase = FhirBase(http);
        List<object> found;
        if (type == "Questionnaire")
        {
            found = [.. QuestionnaireCatalog.Ids.Where(i => !query.TryGetValue("_id", out var want) || want == i).Select(i => (object)QuestionnaireCatalog.Find(i, fhirBase)!)];
        }
        else
        {
            var (caller, error) = await AuthAsync(http);
            if (error is not null)
            {
                return error;
            }

            await using var db = await dbs.CreateDbContextAsync(ct);
            found = await FindAsync(db, caller!, type, query, fhirBase, clock.GetCurrentInstant(), ct);
        }

        var count = query.TryGetValue("_count", out var c) && int.TryParse(c, out var n) ? Math.Clamp(n, 0, 100) : 100;
        return FhirJson.Result(new Bundle
        {
            Type = "searchset",
            Timestamp = FhirFormat.Instant(clock.GetCurrentInstant()),
            Total = found.Count,
            Link = [new BundleLink("self", $"{fhirBase}/{type}{http.Request.QueryString}")],
            Entry = FhirJson.Many(found.Take(count).Select(r => new BundleEntry($"{fhirBase}/{type}/{((FhirResource)r).Id}", r, new BundleSearch("match")))),
        });
    }

    private static string? PatientParam(Dictionary<string, string> q)
    {
        var v = q.GetValueOrDefault("patient") ?? q.GetValueOrDefault("subject");
        return v is null ? null : FhirFormat.Ours(FhirFormat.LastSegment(v)!);
    }

    private static (string? System, string Value)? Token(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var i = text.IndexOf('|', StringComparison.Ordinal);
        return i < 0 ? (null, text) : (text[..i], text[(i + 1)..]);
    }

    /// <summary>Finds resources of a type by the supported search parameters (a read is a search by _id).</summary>
    private static async Task<List<object>> FindAsync(ImidCareDb db, Caller caller, string type, Dictionary<string, string> q, string fhirBase, Instant now, CancellationToken ct)
    {
        var id = q.GetValueOrDefault("_id") is { } raw ? FhirFormat.Ours(raw) : null;
        var visible = await VisiblePatientsAsync(db, caller, ct);
        var patientFilter = PatientParam(q);
        var patientIds = visible.Select(p => p.Id);
        if (patientFilter is not null)
        {
            patientIds = patientIds.Where(p => p == patientFilter);
        }

        switch (type)
        {
            case "Patient":
            {
                var list = await visible.Where(p => id == null || p.Id == id).ToListAsync(ct);
                if (Token(q.GetValueOrDefault("identifier")) is { } tok)
                {
                    var byCase = await db.Enrollments.Where(e => e.Id == tok.Value).Select(e => e.PatientId).ToListAsync(ct);
                    list = [.. list.Where(p => (tok.System is null or Systems.RemsPatientId && p.Id == tok.Value) || ((tok.System is null or Systems.RemsCaseNumber) && byCase.Contains(p.Id)))];
                }

                var name = q.GetValueOrDefault("name") ?? q.GetValueOrDefault("family") ?? q.GetValueOrDefault("given");
                if (!string.IsNullOrWhiteSpace(name))
                {
                    list = [.. list.Where(p => p.Name.Contains(name, StringComparison.OrdinalIgnoreCase))];
                }

                if (FhirInput.Date(q.GetValueOrDefault("birthdate")) is { } birth)
                {
                    list = [.. list.Where(p => p.DateOfBirth == birth)];
                }

                var ids = list.Select(p => p.Id).ToList();
                var enrollments = await db.Enrollments.AsNoTracking().Where(e => ids.Contains(e.PatientId)).ToListAsync(ct);
                return [.. list.Select(p => (object)FhirResources.Patient(p, enrollments.Where(e => e.PatientId == p.Id)))];
            }

            case "Practitioner":
            {
                var list = await db.Prescribers.AsNoTracking().Where(p => id == null || p.Id == id).ToListAsync(ct);
                if (!caller.IsStaff && !caller.IsPharmacy)
                {
                    list = [.. list.Where(p => p.Id == caller.PrescriberId || (caller.PracticeId != null && p.PracticeId == caller.PracticeId))];
                }

                if (Token(q.GetValueOrDefault("identifier")) is { } tok)
                {
                    list = [.. list.Where(p => p.Npi == tok.Value)];
                }

                if (q.GetValueOrDefault("name") is { Length: > 0 } name)
                {
                    list = [.. list.Where(p => p.Name.Contains(name, StringComparison.OrdinalIgnoreCase))];
                }

                return [.. list.Select(p => (object)FhirResources.Practitioner(p))];
            }

            case "Organization" or "HealthcareService":
            {
                var list = await db.Pharmacies.AsNoTracking().Where(p => id == null || p.Id == id).ToListAsync(ct);
                if (Token(q.GetValueOrDefault("identifier")) is { } tok)
                {
                    list = [.. list.Where(p => p.NcpdpId == tok.Value || p.Npi == tok.Value)];
                }

                if (q.GetValueOrDefault("name") is { Length: > 0 } name)
                {
                    list = [.. list.Where(p => p.Name.Contains(name, StringComparison.OrdinalIgnoreCase))];
                }

                if (type == "Organization")
                {
                    return [.. list.Select(p => (object)FhirResources.Organization(p))];
                }

                var ids = list.Select(p => p.Id).ToList();
                var certs = await db.PharmacyCertifications.AsNoTracking().Where(c => ids.Contains(c.PharmacyId)).ToListAsync(ct);
                return [.. list.Select(p => (object)FhirResources.HealthcareService(p, certs.Where(c => c.PharmacyId == p.Id)))];
            }

            case "MedicationRequest":
            {
                var list = await db.Authorizations.AsNoTracking().Where(a => patientIds.Contains(a.PatientId) && (id == null || a.Number == id)).ToListAsync(ct);
                if (Token(q.GetValueOrDefault("identifier")) is { } tok)
                {
                    list = [.. list.Where(a => a.Number == tok.Value)];
                }

                return [.. list.OrderBy(a => a.IssuedAt).Select(a => (object)FhirResources.MedicationRequest(a, now))];
            }

            case "MedicationDispense":
            {
                var list = await db.Dispenses.AsNoTracking().Where(d => patientIds.Contains(d.PatientId) && (id == null || d.Id == id)).ToListAsync(ct);
                if (q.GetValueOrDefault("prescription") is { } rx)
                {
                    var number = FhirFormat.Ours(FhirFormat.LastSegment(rx)!);
                    list = [.. list.Where(d => d.AuthorizationNumber == number)];
                }

                var numbers = list.Select(d => d.AuthorizationNumber).ToList();
                var drugs = await db.Authorizations.Where(a => numbers.Contains(a.Number)).ToDictionaryAsync(a => a.Number, a => a.Drug, ct);
                return [.. list.OrderBy(d => d.At).Select(d => (object)FhirResources.MedicationDispense(d, drugs.GetValueOrDefault(d.AuthorizationNumber, "unknown")))];
            }

            case "Observation":
            {
                // A lab Observation's id is its record's id plus the analyte ("lab_…_anc"); a read looks up the record.
                var recordId = id is not null && id.LastIndexOf('_') is var cut and > 0 && FhirResources.LabAnalytes.All.Any(a => id.EndsWith("_" + a.Key, StringComparison.Ordinal))
                    ? id[..cut] : id;
                var tests = await db.PregnancyTests.AsNoTracking().Where(t => patientIds.Contains(t.PatientId) && (id == null || t.Id == id)).ToListAsync(ct);
                var labs = await db.LabResults.AsNoTracking().Where(l => patientIds.Contains(l.PatientId) && (recordId == null || l.Id == recordId)).ToListAsync(ct);
                var assessments = await db.MyelomaAssessments.AsNoTracking().Where(m => patientIds.Contains(m.PatientId) && (recordId == null || m.Id == recordId)).ToListAsync(ct);
                IEnumerable<(string Sort, Observation Observation)> all =
                [
                    .. tests.Select(t => (FhirFormat.Instant(t.SpecimenAt), FhirResources.PregnancyTest(t))),
                    .. labs.SelectMany(l => FhirResources.Labs(l).Select(o => (FhirFormat.Date(l.TakenOn), o))),
                    .. assessments.SelectMany(m => FhirResources.Assessment(m).Select(o => (FhirFormat.Date(m.Date), o))),
                ];
                if (id is not null)
                {
                    all = all.Where(x => x.Observation.Id == FhirFormat.Id(id));
                }

                if (Token(q.GetValueOrDefault("code")) is { } code)
                {
                    all = all.Where(x => x.Observation.Code.Coding!.Any(c => c.Code == code.Value && (code.System is null || c.System == code.System)));
                }

                if (q.GetValueOrDefault("category") is { } category)
                {
                    all = all.Where(x => x.Observation.Category!.Any(c => c.Coding!.Any(k => k.Code == FhirFormat.LastSegment(category.Split('|')[^1]))));
                }

                return [.. all.OrderBy(x => x.Sort, StringComparer.Ordinal).Select(x => (object)x.Observation)];
            }

            case "QuestionnaireResponse":
            {
                var surveys = await db.Surveys.AsNoTracking().Where(s => patientIds.Contains(s.PatientId) && (id == null || s.Id == id)).ToListAsync(ct);
                var enrollments = await db.Enrollments.AsNoTracking().Where(e => patientIds.Contains(e.PatientId) && (id == null || e.Id == id)).ToListAsync(ct);
                IEnumerable<QuestionnaireResponse> all = [.. enrollments.Select(e => FhirResources.EnrollmentForm(e, fhirBase)), .. surveys.OrderBy(s => s.CompletedAt).Select(s => FhirResources.Survey(s, fhirBase))];
                if (q.GetValueOrDefault("questionnaire") is { } questionnaire)
                {
                    all = all.Where(r => FhirFormat.LastSegment(r.Questionnaire) == FhirFormat.LastSegment(questionnaire));
                }

                return [.. all];
            }

            case "DocumentReference":
            {
                var list = await (from a in db.Agreements.AsNoTracking()
                                  join e in db.Enrollments on a.EnrollmentId equals e.Id
                                  where patientIds.Contains(e.PatientId) && (id == null || a.Id == id)
                                  select new { a, e.PatientId }).ToListAsync(ct);
                return [.. list.Select(x => (object)FhirResources.Agreement(x.a, x.PatientId, fhirBase))];
            }

            default:
                return [];
        }
    }

    // ---- $rems-etasu ------------------------------------------------------------------------------

    /// <summary>Reads a FHIR JSON body leniently: size-limited, must be a JSON object.</summary>
    public static async Task<(JsonElement Body, IResult? Error)> ReadBodyAsync(HttpContext http)
    {
        var (text, tooLarge) = await BodyReader.ReadAsync(http);
        if (tooLarge)
        {
            return (default, Outcomes.Result(413, "too-costly", $"The request body exceeds {BodyReader.MaxBytes} bytes."));
        }

        try
        {
            using var doc = JsonDocument.Parse(text ?? string.Empty, new JsonDocumentOptions { MaxDepth = 64 });
            return doc.RootElement.ValueKind == JsonValueKind.Object
                ? (doc.RootElement.Clone(), null)
                : (default, Outcomes.Result(400, "structure", "The body must be a FHIR resource (a JSON object)."));
        }
        catch (JsonException e)
        {
            return (default, Outcomes.Result(400, "structure", $"The body is not valid JSON: {e.Message.Split(" Path:")[0]}"));
        }
    }

    private static async Task<IResult> RemsEtasu(HttpContext http, IDbContextFactory<ImidCareDb> dbs, IClock clock, CancellationToken ct)
    {
        var (caller, error) = await AuthAsync(http);
        if (error is not null)
        {
            return error;
        }

        var (body, bad) = await ReadBodyAsync(http);
        if (bad is not null)
        {
            return bad;
        }

        if (!FhirInput.IsResource(body, "Parameters"))
        {
            return Outcomes.Result(400, "structure", $"$rems-etasu takes a Parameters resource, not {FhirInput.Describe(body)}.");
        }

        var caseNumber = FhirInput.ParamString(body, "caseNumber", "case_number", "caseId");
        var patient = FhirInput.Prop(FhirInput.Param(body, "patient"), "resource");
        var medication = FhirInput.Prop(FhirInput.Param(body, "medication"), "resource");
        if (caseNumber is null && patient.ValueKind != JsonValueKind.Object)
        {
            return Outcomes.Result(400, "required", "Give a case number (parameter caseNumber or case_number), or a patient and a medication.");
        }

        var now = clock.GetCurrentInstant();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var match = caseNumber is not null
            ? await PatientMatcher.ByOurIdAsync(db, caller!, caseNumber, "case number", ct)
            : await PatientMatcher.MatchAsync(db, caller!, patient, null, ct);
        var drug = DrugCodes.FromMedicationResource(medication);
        if (!match.Found)
        {
            var why = match.Ambiguous
                ? $"{match.Candidates} enrolled patients match this name and birth date; send the REMS patient id ({Systems.RemsPatientId}) or the case number."
                : $"No REMS case was found for this patient ({match.How}).";
            return FhirJson.Result(Etasu.Output(null, null, why, now));
        }

        var program = caseNumber is not null && caseNumber.StartsWith("enr_", StringComparison.Ordinal)
            ? await db.Enrollments.Where(e => e.Id == caseNumber).Select(e => e.ProgramId).FirstOrDefaultAsync(ct) is { } pid ? ProgramCatalog.Find(pid) : null
            : DrugCodes.Program(drug);
        if (program is null && drug is null && caseNumber is null)
        {
            return FhirJson.Result(Etasu.Output(null, null, "The medication is not one of ImidCare's REMS drugs (lenalidomide, pomalidomide, thalidomide).", now));
        }

        var facts = await PatientFacts.LoadAsync(db, match.Patient!.Id, program, now, ct);
        var subject = FhirResources.PatientRef(match.Patient.Id);
        if (facts is null)
        {
            return FhirJson.Result(Etasu.Output(null, subject, $"The patient is not enrolled in a REMS program for {drug ?? "this medication"}.", now));
        }

        var outcome = await RemsStatus.EvaluateAsync(db, caller!, facts, drug ?? facts.Program.Drugs[0], now, null, null, ct);
        return FhirJson.Result(Etasu.Output(outcome, subject, null, now));
    }

    // ---- $questionnaire-package -----------------------------------------------------------------------

    private static async Task<IResult> Package(HttpContext http, string? id)
    {
        if (await InteropAuth.CallerAsync(http) is null)
        {
            return Outcomes.Result(401, "login", "Authentication required.");
        }

        var (body, bad) = await ReadBodyAsync(http);
        if (bad is not null)
        {
            return bad;
        }

        var fhirBase = FhirBase(http);
        var wanted = id ?? FhirFormat.LastSegment(FhirInput.ParamString(body, "questionnaire") ?? FhirInput.Str(FhirInput.Param(body, "questionnaire"), "valueCanonical"));
        if (wanted is null || QuestionnaireCatalog.Find(wanted, fhirBase) is not { } questionnaire)
        {
            return Outcomes.Result(404, "not-found", $"Questionnaire '{wanted}' is not known; known: {string.Join(", ", QuestionnaireCatalog.Ids)}.");
        }

        var bundle = new Bundle
        {
            Id = $"package-{questionnaire.Id}",
            Type = "collection",
            Entry = [new BundleEntry($"{fhirBase}/Questionnaire/{questionnaire.Id}", questionnaire)],
        };
        return FhirJson.Result(new Parameters { Parameter = [new Parameter("return") { Resource = bundle }] });
    }
}
