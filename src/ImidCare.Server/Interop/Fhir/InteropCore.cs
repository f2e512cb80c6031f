using System.Globalization;
using System.Text.Json;
using ImidCare.Rules.Programs;
using NodaTime;
using NodaTime.Text;

namespace ImidCare.Server.Interop.Fhir;

/// <summary>The code systems and identifier systems ImidCare uses on the wire.</summary>
public static class Systems
{
    public const string RemsPatientId = "https://imidcare.example/fhir/sid/rems-patient-id";
    public const string RemsCaseNumber = "https://imidcare.example/fhir/sid/rems-case-number";
    public const string AuthorizationNumber = "https://imidcare.example/fhir/sid/rems-authorization-number";
    public const string ConfirmationNumber = "https://imidcare.example/fhir/sid/rems-confirmation-number";
    public const string ReasonCode = "https://imidcare.example/fhir/CodeSystem/rems-reason";
    public const string Program = "https://imidcare.example/fhir/CodeSystem/rems-program";
    public const string RxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
    public const string Ndc = "http://hl7.org/fhir/sid/ndc";
    public const string Npi = "http://hl7.org/fhir/sid/us-npi";
    public const string NcpdpId = "http://terminology.hl7.org/NamingSystem/NCPDPProviderIdentificationNumber";
    public const string Loinc = "http://loinc.org";
    public const string IgModule = "http://hl7.org/fhir/us/medication-rems/ImplementationGuide/hl7.fhir.us.medication-rems";
}

/// <summary>FHIR wire forms of ids and times.</summary>
public static class FhirFormat
{
    /// <summary>Our ids use '_' which FHIR ids forbid ([A-Za-z0-9\-\.]); ours never contain '-', so the swap is reversible.</summary>
    public static string Id(string ours) => ours.Replace('_', '-');

    public static string Ours(string fhirId) => fhirId.Replace('-', '_');

    public static string Instant(Instant i) => InstantPattern.ExtendedIso.Format(i);

    public static string Date(LocalDate d) => LocalDatePattern.Iso.Format(d);

    /// <summary>The last segment of a reference or canonical ("Patient/x" → "x", "http://…/Questionnaire/q|1" → "q").</summary>
    public static string? LastSegment(string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference))
        {
            return null;
        }

        var r = reference.Split('|')[0].TrimEnd('/');
        var i = r.LastIndexOf('/');
        return i >= 0 ? r[(i + 1)..] : r;
    }
}

/// <summary>
/// Which of our drugs a FHIR or NCPDP medication code names. RxNorm ingredient codes, product
/// names in display/text, and the BMS (labeler 59572) NDC product ranges of the brand products.
/// </summary>
public static class DrugCodes
{
    private static readonly Dictionary<string, string> RxNormIngredients = new(StringComparer.Ordinal)
    {
        ["342369"] = "lenalidomide",
        ["10432"] = "thalidomide",
        ["1369713"] = "pomalidomide",
    };

    public static readonly IReadOnlyDictionary<string, string> RxNormOf = RxNormIngredients.ToDictionary(kv => kv.Value, kv => kv.Key);

    /// <summary>The drug a code names, or null. NDCs (5-4-2): 59572-04xx REVLIMID, 59572-05xx POMALYST, 59572-02xx THALOMID.</summary>
    public static string? FromCode(string? system, string? code, string? display)
    {
        if (code is not null && (system is null || system.Contains("rxnorm", StringComparison.OrdinalIgnoreCase)) && RxNormIngredients.TryGetValue(code.Trim(), out var byRx))
        {
            return byRx;
        }

        if (code is not null && (system is null || system.Contains("ndc", StringComparison.OrdinalIgnoreCase)) && FromNdc(code) is { } byNdc)
        {
            return byNdc;
        }

        return FromText(display);
    }

    public static string? FromNdc(string? code)
    {
        if (!Rules.Rems.Ndc.TryParse(code, out var ndc, out _))
        {
            return null;
        }

        var v = ndc.Value.Value;
        return v.StartsWith("595720", StringComparison.Ordinal)
            ? v[6] switch { '4' => "lenalidomide", '5' => "pomalidomide", '2' => "thalidomide", _ => null }
            : null;
    }

    public static string? FromText(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var t = text.ToLowerInvariant();
        foreach (var (word, drug) in new[] { ("lenalidomide", "lenalidomide"), ("revlimid", "lenalidomide"), ("pomalidomide", "pomalidomide"), ("pomalyst", "pomalidomide"), ("thalidomide", "thalidomide"), ("thalomid", "thalidomide") })
        {
            if (t.Contains(word, StringComparison.Ordinal))
            {
                return drug;
            }
        }

        return null;
    }

    /// <summary>The drug named by a CodeableConcept-shaped element (coding[] + text).</summary>
    public static string? FromConcept(JsonElement concept)
    {
        if (concept.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var c in FhirInput.Array(concept, "coding"))
        {
            if (FromCode(FhirInput.Str(c, "system"), FhirInput.Str(c, "code"), FhirInput.Str(c, "display")) is { } d)
            {
                return d;
            }
        }

        return FromText(FhirInput.Str(concept, "text"));
    }

    /// <summary>The drug of a MedicationRequest (medicationCodeableConcept, contained Medication) or a Medication.</summary>
    public static string? FromMedicationResource(JsonElement resource)
    {
        if (resource.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (FhirInput.Str(resource, "resourceType") == "Medication")
        {
            return FromConcept(FhirInput.Prop(resource, "code"));
        }

        if (FromConcept(FhirInput.Prop(resource, "medicationCodeableConcept")) is { } d)
        {
            return d;
        }

        var medRef = FhirInput.Str(FhirInput.Prop(resource, "medicationReference"), "reference");
        foreach (var contained in FhirInput.Array(resource, "contained"))
        {
            if (FhirInput.Str(contained, "resourceType") == "Medication" && (medRef is null || medRef.TrimStart('#') == FhirInput.Str(contained, "id")))
            {
                return FromConcept(FhirInput.Prop(contained, "code"));
            }
        }

        return FromText(FhirInput.Str(FhirInput.Prop(resource, "medicationReference"), "display"));
    }

    public static ProgramRules? Program(string? drug) => drug is null ? null : ProgramCatalog.ForDrug(drug);

    public static CodeableConcept Concept(string drug) =>
        new(RxNormOf.TryGetValue(drug, out var rx) ? [new Coding(Systems.RxNorm, rx, drug)] : null, drug);
}

/// <summary>Lenient readers over JsonElement: a missing or wrongly typed element reads as absent.</summary>
public static class FhirInput
{
    public static JsonElement Prop(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : default;

    public static string? Str(JsonElement e, string name) =>
        Prop(e, name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    public static int? Int(JsonElement e, string name) =>
        Prop(e, name) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt32(out var i) ? i : null;

    public static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
        Prop(e, name) is { ValueKind: JsonValueKind.Array } v ? v.EnumerateArray() : [];

    /// <summary>Parameters.parameter[name=x], case-sensitive name match among the given aliases.</summary>
    public static JsonElement Param(JsonElement parameters, params string[] names) =>
        Array(parameters, "parameter").FirstOrDefault(p => Str(p, "name") is { } n && names.Contains(n, StringComparer.Ordinal));

    public static string? ParamString(JsonElement parameters, params string[] names)
    {
        var p = Param(parameters, names);
        return Str(p, "valueString") ?? Str(p, "valueCode") ?? Str(p, "valueId") ?? Str(Prop(p, "valueIdentifier"), "value");
    }

    public static bool IsResource(JsonElement e, string type) => Str(e, "resourceType") == type;

    /// <summary>Parses a FHIR date or the date part of a dateTime.</summary>
    public static LocalDate? Date(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length < 10)
        {
            return null;
        }

        var r = LocalDatePattern.Iso.Parse(text[..10]);
        return r.Success ? r.Value : null;
    }

    public static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => Str(e, "resourceType") ?? "object",
        _ => e.ValueKind.ToString().ToLower(CultureInfo.InvariantCulture),
    };
}
