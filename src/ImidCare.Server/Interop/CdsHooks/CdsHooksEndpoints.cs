using System.Net.Http.Headers;
using System.Text.Json;
using ImidCare.Rules.Programs;
using ImidCare.Server.Interop.Fhir;
using ImidCare.Server.Rems;
using ImidCare.Server.Security;
using ImidCare.Store;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Interop.CdsHooks;

/// <summary>
/// CDS Hooks 2.0: discovery at /cds-services and four REMS services (order-sign, order-select,
/// patient-view, encounter-start) with the ids rems-admin uses. Prefetch is used when present;
/// missing keys are fetched from the EHR's fhirServer with the given fhirAuthorization.
/// </summary>
public static class CdsHooksEndpoints
{
    private static readonly Dictionary<string, string> OrderPrefetch = new()
    {
        ["patient"] = "Patient/{{context.patientId}}",
        ["practitioner"] = "{{context.userId}}",
    };

    private static readonly Dictionary<string, string> ViewPrefetch = new()
    {
        ["patient"] = "Patient/{{context.patientId}}",
        ["practitioner"] = "{{context.userId}}",
        ["medicationRequests"] = "MedicationRequest?subject={{context.patientId}}&_include=MedicationRequest:medication",
    };

    public static readonly IReadOnlyList<CdsService> Services =
    [
        new("rems-order-sign", "order-sign", "ImidCare REMS requirements (order sign)",
            "For lenalidomide, pomalidomide and thalidomide orders: what the patient, prescriber and prescription still need under the REMS.", OrderPrefetch),
        new("rems-order-select", "order-select", "ImidCare REMS requirements (order select)",
            "For a selected lenalidomide, pomalidomide or thalidomide order: what is still needed under the REMS.", OrderPrefetch),
        new("rems-patient-view", "patient-view", "ImidCare REMS status (patient view)",
            "For a patient on lenalidomide, pomalidomide or thalidomide: outstanding REMS requirements.", ViewPrefetch),
        new("rems-encounter-start", "encounter-start", "ImidCare REMS status (encounter start)",
            "At the start of an encounter: outstanding REMS requirements for the patient's REMS drugs.", ViewPrefetch),
    ];

    public static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/cds-services").AllowAnonymous().WithTags("CDS Hooks");
        g.MapGet("", () => Results.Json(new CdsDiscovery(Services), FhirJson.Options)).WithSummary("CDS Hooks discovery (no authentication).");
        g.MapPost("/{id}", Invoke).WithSummary("Invoke a REMS CDS service; always cards (an empty list when no REMS drug is involved).");
        g.MapPost("/{id}/feedback", async (HttpContext http, string id, CdsJwt jwt, CancellationToken ct) =>
        {
            if ((await AuthAsync(http, jwt, ct)).Refusal is { } refusal)
            {
                return refusal;
            }

            var (_, tooLarge) = await BodyReader.ReadAsync(http);
            return tooLarge ? Error(413, "Too large.") : Services.Any(s => s.Id == id) ? Results.Ok() : Error(404, $"No CDS service '{id}'.");
        }).WithSummary("CDS Hooks feedback (accepted and discarded).");
    }

    /// <summary>
    /// Who calls: an organisation key or session (as on every interop route), else the EHR's signed
    /// CDS Hooks JWT (<see cref="CdsJwt"/>). A JWT that fails is refused with the reason.
    /// </summary>
    private static async Task<(Caller? Caller, IResult? Refusal)> AuthAsync(HttpContext http, CdsJwt jwt, CancellationToken ct)
    {
        if (await InteropAuth.CallerAsync(http) is { } caller)
        {
            return (caller, null);
        }

        if (CdsJwt.Bearer(http) is { } bearer && CdsJwt.Looks(bearer))
        {
            var (verified, why) = await jwt.VerifyAsync(http, bearer, ct);
            return verified is null ? (null, Error(401, why!)) : (verified, null);
        }

        return (null, Error(401, "Authentication required: the EHR's signed CDS Hooks JWT, an organisation API key (X-Api-Key or Authorization: Bearer) or a session token."));
    }

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, FhirJson.Options, "application/json", status);

    private static IResult Cards(IEnumerable<CdsCard> cards) => Results.Json(new CdsResponse([.. cards]), FhirJson.Options);

    private static IResult BadRequestCard(string detail) =>
        Cards([CardMapping.Notice("ImidCare REMS Administrator", "Bad Request", detail, "warning")]);

    private static async Task<IResult> Invoke(HttpContext http, string id, IDbContextFactory<ImidCareDb> dbs, IHttpClientFactory clients, IConfiguration config, IClock clock, CdsJwt jwt, CancellationToken ct)
    {
        var service = Services.FirstOrDefault(s => s.Id == id);
        if (service is null)
        {
            return Error(404, $"No CDS service '{id}'; see GET /cds-services.");
        }

        var (caller, refusal) = await AuthAsync(http, jwt, ct);
        if (caller is null)
        {
            return refusal!;
        }

        var (text, tooLarge) = await BodyReader.ReadAsync(http);
        if (tooLarge)
        {
            return Error(413, $"The request body exceeds {BodyReader.MaxBytes} bytes.");
        }

        JsonElement body;
        try
        {
            using var doc = JsonDocument.Parse(text ?? string.Empty, new JsonDocumentOptions { MaxDepth = 64 });
            body = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return Error(400, $"The body is not valid JSON: {e.Message.Split(" Path:")[0]}");
        }

        if (body.ValueKind != JsonValueKind.Object || FhirInput.Prop(body, "context").ValueKind != JsonValueKind.Object)
        {
            return Error(400, "A CDS Hooks request is a JSON object with a context.");
        }

        var context = FhirInput.Prop(body, "context");
        var prefetch = FhirInput.Prop(body, "prefetch");
        var patientId = FhirFormat.LastSegment(FhirInput.Str(context, "patientId"));
        if (patientId is null)
        {
            return BadRequestCard("context.patientId is missing.");
        }

        var ehr = new EhrFetcher(clients, FhirInput.Str(body, "fhirServer"), FhirInput.Str(FhirInput.Prop(body, "fhirAuthorization"), "access_token"), config, ct);
        var patient = FhirInput.Prop(prefetch, "patient");
        if (!FhirInput.IsResource(patient, "Patient"))
        {
            patient = await ehr.GetAsync($"Patient/{patientId}");
        }

        // The orders the hook is about, and the Medications that came with them (an _include entry of the
        // same Bundle, for an order coded by medicationReference).
        var orders = new List<JsonElement>();
        var medications = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        void Included(JsonElement bundle)
        {
            foreach (var e in FhirInput.Array(bundle, "entry"))
            {
                var r = FhirInput.Prop(e, "resource");
                if (FhirInput.IsResource(r, "Medication"))
                {
                    if (FhirInput.Str(r, "id") is { } mid)
                    {
                        medications.TryAdd($"Medication/{mid}", r);
                    }

                    if (FhirInput.Str(e, "fullUrl") is { } url)
                    {
                        medications.TryAdd(url, r);
                    }
                }
            }
        }

        if (service.Hook is "order-sign" or "order-select")
        {
            var selections = FhirInput.Array(context, "selections").Select(s => s.ValueKind == JsonValueKind.String ? s.GetString() : null).ToHashSet();
            Included(FhirInput.Prop(context, "draftOrders"));
            foreach (var r in Resources(FhirInput.Prop(context, "draftOrders")))
            {
                if (FhirInput.IsResource(r, "MedicationRequest")
                    && (service.Hook == "order-sign" || selections.Count == 0 || selections.Contains($"MedicationRequest/{FhirInput.Str(r, "id")}")))
                {
                    orders.Add(r);
                }
            }

            if (FhirInput.Prop(context, "draftOrders").ValueKind != JsonValueKind.Object && FhirInput.IsResource(FhirInput.Prop(prefetch, "request"), "MedicationRequest"))
            {
                orders.Add(FhirInput.Prop(prefetch, "request"));
            }
        }
        else
        {
            var bundle = FhirInput.Prop(prefetch, "medicationRequests");
            if (!FhirInput.IsResource(bundle, "Bundle"))
            {
                bundle = await ehr.GetAsync($"MedicationRequest?subject=Patient/{patientId}&_include=MedicationRequest:medication");
            }

            Included(bundle);
            orders.AddRange(Resources(bundle).Where(r => FhirInput.IsResource(r, "MedicationRequest")));
        }

        string? DrugOf(JsonElement order)
        {
            if (DrugCodes.FromMedicationResource(order) is { } coded)
            {
                return coded;
            }

            var reference = FhirInput.Str(FhirInput.Prop(order, "medicationReference"), "reference");
            if (reference is null)
            {
                return null;
            }

            var segments = reference.Split('/');
            var relative = segments.Length >= 2 ? $"{segments[^2]}/{segments[^1]}" : reference;
            return medications.TryGetValue(reference, out var med) || medications.TryGetValue(relative, out med) ? DrugCodes.FromMedicationResource(med) : null;
        }

        var now = clock.GetCurrentInstant();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var match = await PatientMatcher.MatchAsync(db, caller, patient, patientId, ct);

        // The REMS programs involved: from the orders, and (for the view hooks) the patient's enrollments.
        var programs = new List<(ProgramRules Program, string Drug, JsonElement Order)>();
        foreach (var o in orders)
        {
            if (DrugOf(o) is { } drug && DrugCodes.Program(drug) is { } p && programs.All(x => x.Program.Id != p.Id))
            {
                programs.Add((p, drug, o));
            }
        }

        if (service.Hook is "patient-view" or "encounter-start" && match.Found)
        {
            var enrolled = await db.Enrollments.Where(e => e.PatientId == match.Patient!.Id).Select(e => e.ProgramId).ToListAsync(ct);
            foreach (var p in enrolled.Select(ProgramCatalog.Find).OfType<ProgramRules>().Where(p => p.Id != "IPLEDGE" && programs.All(x => x.Program.Id != p.Id)))
            {
                programs.Add((p, p.Drugs[0], default));
            }
        }

        if (programs.Count == 0)
        {
            return Cards([]);
        }

        var fhirBase = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/4_0_0";
        var smart = config["ImidCare:Interop:SmartLaunchUrl"] ?? "http://localhost:4040/launch";
        var cards = new List<CdsCard>();
        foreach (var (program, drug, order) in programs)
        {
            var orderId = FhirInput.Str(order, "id");
            var coverage = FhirInput.Str(FhirInput.Array(order, "insurance").FirstOrDefault(), "reference");
            var ctx = new CardContext(smart, fhirBase, orderId, coverage, $"Patient/{patientId}", FhirInput.Str(context, "userId"), FhirFormat.Instant(now));
            var facts = match.Found ? await PatientFacts.LoadAsync(db, match.Patient!.Id, program, now, ct) : null;
            if (facts is null)
            {
                cards.Add(NotEnrolled(program, drug, match, ctx));
                continue;
            }

            var request = FhirInput.Prop(order, "dispenseRequest");
            var days = SupplyDays(FhirInput.Prop(request, "expectedSupplyDuration"));
            var outcome = await RemsStatus.EvaluateAsync(db, caller, facts, drug, now, days, FhirInput.Int(request, "numberOfRepeatsAllowed"), ct);
            cards.AddRange(CardMapping.Cards(outcome, ctx));
            if (FhirInput.IsResource(FhirInput.Prop(prefetch, "pharmacy"), "HealthcareService"))
            {
                cards.Add(await PharmacyCardAsync(db, FhirInput.Prop(prefetch, "pharmacy"), program, ct));
            }
        }

        return Cards(cards);
    }

    /// <summary>
    /// A FHIR Duration in whole days, by its UCUM code (or unit text): d, wk, mo (30.4375 d), a, h, min.
    /// No value, or a unit we cannot read, is "not given" (the program's maximum supply is then checked).
    /// </summary>
    public static int? SupplyDays(JsonElement duration)
    {
        if (duration.ValueKind != JsonValueKind.Object || FhirInput.Prop(duration, "value").TryGetDecimalSafe() is not { } v)
        {
            return null;
        }

        var unit = (FhirInput.Str(duration, "code") ?? FhirInput.Str(duration, "unit") ?? "d").Trim().ToLowerInvariant();
        decimal? perUnit = unit switch
        {
            "d" or "day" or "days" => 1m,
            "wk" or "week" or "weeks" => 7m,
            "mo" or "month" or "months" => 30.4375m,
            "a" or "year" or "years" => 365.25m,
            "h" or "hour" or "hours" => 1m / 24,
            "min" or "minute" or "minutes" => 1m / 1440,
            _ => null,
        };
        // Clamped first, so an absurd value is refused as out of range rather than overflowing.
        return perUnit is { } f ? (int)Math.Ceiling(Math.Clamp(v, -1_000_000m, 1_000_000m) * f) : null;
    }

    private static decimal? TryGetDecimalSafe(this JsonElement e) => e.ValueKind == JsonValueKind.Number && e.TryGetDecimal(out var d) ? d : null;

    private static IEnumerable<JsonElement> Resources(JsonElement bundle) =>
        FhirInput.Array(bundle, "entry").Select(e => FhirInput.Prop(e, "resource")).Where(r => r.ValueKind == JsonValueKind.Object);

    private static CdsCard NotEnrolled(ProgramRules program, string drug, PatientMatch match, CardContext ctx)
    {
        if (match.Ambiguous)
        {
            return CardMapping.Notice(program.Name, $"{program.Name}: several enrolled patients match this patient",
                $"{match.Candidates} enrolled patients have this name and birth date. Send our REMS patient id as an identifier ({Systems.RemsPatientId}) so the REMS status can be shown.", "warning");
        }

        var req = Requirements.PatientEnrollment;
        var appContext = CardMapping.AppContext(ctx, req.Questionnaire!);
        var card = CardMapping.Notice(program.Name, CardMapping.Fit($"{program.Name}: patient needs {req.Name} for {drug}"),
            $"This patient is not enrolled in the {program.Name} (matched by {match.How}). {req.Action} Nothing can be authorized until then.",
            "warning", new CdsLink($"{req.Name} form", ctx.SmartLaunchUrl, "smart", appContext));
        return card with
        {
            Suggestions = [CardMapping.Suggestion(ctx, req, appContext)],
            SelectionBehavior = "any",
            Extension = new Dictionary<string, object> { [CardMapping.ReasonsExtension] = new[] { "REMS.PATIENT_NOT_ENROLLED" } },
        };
    }

    private static async Task<CdsCard> PharmacyCardAsync(ImidCareDb db, JsonElement service, ProgramRules program, CancellationToken ct)
    {
        var ids = FhirInput.Array(service, "identifier").Select(i => FhirInput.Str(i, "value")).OfType<string>().ToList();
        var ourId = FhirInput.Str(service, "id") is { } fid ? FhirFormat.Ours(fid) : null;
        var name = FhirInput.Str(service, "name");
        var pharmacy = await db.Pharmacies.AsNoTracking().FirstOrDefaultAsync(p => p.Id == ourId || ids.Contains(p.NcpdpId) || ids.Contains(p.Npi) || (name != null && p.Name == name), ct);
        var status = pharmacy is null ? null : await db.PharmacyCertifications.Where(c => c.PharmacyId == pharmacy.Id && c.ProgramId == program.Id).Select(c => c.Status).FirstOrDefaultAsync(ct);
        var certified = status == nameof(Rules.Rems.CertificationStatus.Certified);
        var label = pharmacy?.Name ?? name ?? "The selected pharmacy";
        var card = CardMapping.Notice(program.Name, $"Pharmacy Certification Status: {(certified ? "certified" : "not certified")}",
            certified
                ? $"{label} **is certified** in the {program.Name}: it may dispense this medication."
                : $"{label} **is not certified** in the {program.Name} ({status?.ToLowerInvariant() ?? "unknown to ImidCare"}): send the prescription to a certified pharmacy.",
            certified ? "info" : "warning");
        // The same code the confirmation rule would give: a suspended or revoked pharmacy is deactivated (EY), not merely uncertified.
        var code = Rules.Rems.Deactivation.Pharmacy(status is null ? null : Enum.Parse<Rules.Rems.CertificationStatus>(status));
        return certified ? card : card with { Extension = new Dictionary<string, object> { [CardMapping.ReasonsExtension] = new[] { code } } };
    }
}

/// <summary>
/// Fetches prefetch data the EHR did not send, from its fhirServer with its fhirAuthorization
/// token. Only http(s) URLs; when ImidCare:Interop:AllowedFhirServers is set, only those prefixes.
/// Short timeout, 1 MB cap; any failure reads as "absent".
/// </summary>
public sealed class EhrFetcher(IHttpClientFactory clients, string? fhirServer, string? token, IConfiguration config, CancellationToken ct)
{
    public async Task<JsonElement> GetAsync(string relative)
    {
        if (fhirServer is null || !Uri.TryCreate(fhirServer.TrimEnd('/') + "/", UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
        {
            return default;
        }

        var allowed = config.GetSection("ImidCare:Interop:AllowedFhirServers").Get<string[]>();
        if (allowed is { Length: > 0 } && !allowed.Any(a => server.AbsoluteUri.StartsWith(a, StringComparison.OrdinalIgnoreCase)))
        {
            return default;
        }

        try
        {
            using var client = clients.CreateClient("ehr");
            using var req = new HttpRequestMessage(HttpMethod.Get, new Uri(server, relative));
            req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
            if (token is not null)
            {
                req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var resp = await client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!resp.IsSuccessStatusCode || resp.Content.Headers.ContentLength > BodyReader.MaxBytes)
            {
                return default;
            }

            var bytes = await resp.Content.ReadAsByteArrayAsync(ct);
            if (bytes.Length > BodyReader.MaxBytes)
            {
                return default;
            }

            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.Clone();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException)
        {
            return default;
        }
    }
}
