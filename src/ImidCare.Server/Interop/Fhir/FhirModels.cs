using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImidCare.Server.Interop.Fhir;

// Lean FHIR R4 models: only the resources and elements ImidCare emits. Dates and instants are
// strings already in FHIR form (see FhirFormat), so no converter can change their shape. Input is
// never bound to these types: it is read leniently from JsonElement (FhirInput), ignoring unknown
// elements as FHIR requires. Lists are left null rather than empty, because FHIR forbids empty arrays.

/// <summary>The serializer settings for FHIR JSON: camelCase, nulls omitted, resourceType first.</summary>
public static class FhirJson
{
    public const string MediaType = "application/fhir+json";

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
    };

    public static string Serialize(object resource) => JsonSerializer.Serialize(resource, resource.GetType(), Options);

    public static IResult Result(object resource, int status = 200) =>
        Results.Content(Serialize(resource), MediaType, System.Text.Encoding.UTF8, status);

    /// <summary>Null for an empty sequence, so no empty array reaches the wire.</summary>
    public static List<T>? Many<T>(IEnumerable<T>? items)
    {
        var list = items?.ToList();
        return list is { Count: > 0 } ? list : null;
    }
}

public abstract record FhirResource(string ResourceType)
{
    [JsonPropertyOrder(-100)]
    public string ResourceType { get; } = ResourceType;

    [JsonPropertyOrder(-99)]
    public string? Id { get; init; }

    [JsonPropertyOrder(-98)]
    public Meta? Meta { get; init; }
}

public sealed record Meta(string? LastUpdated = null, List<string>? Profile = null);

public sealed record Coding(string? System, string? Code, string? Display = null);

public sealed record CodeableConcept(List<Coding>? Coding = null, string? Text = null)
{
    public static CodeableConcept Of(string system, string code, string? display = null) => new([new Coding(system, code, display)], display);
}

public sealed record FhirReference(string? Reference = null, string? Display = null, Identifier? Identifier = null);

public sealed record Identifier(string? System, string? Value, CodeableConcept? Type = null);

public sealed record HumanName(string? Use = null, string? Text = null, string? Family = null, List<string>? Given = null);

public sealed record Annotation(string Text);

public sealed record Quantity(decimal? Value = null, string? Unit = null, string? System = null, string? Code = null);

public sealed record FhirPeriod(string? Start = null, string? End = null);

public sealed record Patient() : FhirResource("Patient")
{
    public List<Identifier>? Identifier { get; init; }

    public bool? Active { get; init; }

    public List<HumanName>? Name { get; init; }

    public string? Gender { get; init; }

    public string? BirthDate { get; init; }
}

public sealed record Practitioner() : FhirResource("Practitioner")
{
    public List<Identifier>? Identifier { get; init; }

    public bool? Active { get; init; }

    public List<HumanName>? Name { get; init; }
}

public sealed record Organization() : FhirResource("Organization")
{
    public List<Identifier>? Identifier { get; init; }

    public bool? Active { get; init; }

    public List<CodeableConcept>? Type { get; init; }

    public string? Name { get; init; }

    public FhirReference? PartOf { get; init; }
}

public sealed record HealthcareService() : FhirResource("HealthcareService")
{
    public List<Identifier>? Identifier { get; init; }

    public bool? Active { get; init; }

    public FhirReference? ProvidedBy { get; init; }

    public List<CodeableConcept>? Category { get; init; }

    public List<CodeableConcept>? Type { get; init; }

    public string? Name { get; init; }

    public string? Comment { get; init; }
}

public sealed record Duration(decimal Value, string Unit, string System, string Code);

public sealed record DispenseRequest(FhirPeriod? ValidityPeriod = null, int? NumberOfRepeatsAllowed = null, Duration? ExpectedSupplyDuration = null);

public sealed record MedicationRequest() : FhirResource("MedicationRequest")
{
    public List<Identifier>? Identifier { get; init; }

    public required string Status { get; init; }

    public required string Intent { get; init; }

    public required CodeableConcept MedicationCodeableConcept { get; init; }

    public required FhirReference Subject { get; init; }

    public string? AuthoredOn { get; init; }

    public FhirReference? Requester { get; init; }

    public DispenseRequest? DispenseRequest { get; init; }
}

public sealed record DispensePerformer(FhirReference Actor);

public sealed record MedicationDispense() : FhirResource("MedicationDispense")
{
    public List<Identifier>? Identifier { get; init; }

    public required string Status { get; init; }

    public required CodeableConcept MedicationCodeableConcept { get; init; }

    public FhirReference? Subject { get; init; }

    public List<DispensePerformer>? Performer { get; init; }

    public List<FhirReference>? AuthorizingPrescription { get; init; }

    public Quantity? Quantity { get; init; }

    public Quantity? DaysSupply { get; init; }

    public string? WhenHandedOver { get; init; }
}

public sealed record Observation() : FhirResource("Observation")
{
    public List<Identifier>? Identifier { get; init; }

    public required string Status { get; init; }

    public List<CodeableConcept>? Category { get; init; }

    public required CodeableConcept Code { get; init; }

    public FhirReference? Subject { get; init; }

    public string? EffectiveDateTime { get; init; }

    public string? Issued { get; init; }

    public CodeableConcept? ValueCodeableConcept { get; init; }

    public Quantity? ValueQuantity { get; init; }

    public bool? ValueBoolean { get; init; }

    public List<Annotation>? Note { get; init; }
}

public sealed record Answer(bool? ValueBoolean = null, string? ValueString = null, string? ValueDate = null, Coding? ValueCoding = null);

public sealed record ResponseItem(string LinkId, string? Text = null, List<Answer>? Answer = null);

public sealed record QuestionnaireResponse() : FhirResource("QuestionnaireResponse")
{
    public string? Questionnaire { get; init; }

    public required string Status { get; init; }

    public FhirReference? Subject { get; init; }

    public string? Authored { get; init; }

    public FhirReference? Author { get; init; }

    public List<ResponseItem>? Item { get; init; }
}

public sealed record Attachment(string? ContentType = null, string? Url = null, string? Title = null, string? Creation = null, string? Data = null);

public sealed record DocumentContent(Attachment Attachment);

public sealed record DocumentReference() : FhirResource("DocumentReference")
{
    public List<Identifier>? Identifier { get; init; }

    public required string Status { get; init; }

    public CodeableConcept? Type { get; init; }

    public List<CodeableConcept>? Category { get; init; }

    public FhirReference? Subject { get; init; }

    public string? Date { get; init; }

    public List<FhirReference>? Author { get; init; }

    public FhirReference? Authenticator { get; init; }

    public string? Description { get; init; }

    public required List<DocumentContent> Content { get; init; }
}

public sealed record QuestionnaireItem(string LinkId, string Type, string? Text = null, bool? Required = null, List<QuestionnaireItem>? Item = null);

public sealed record Questionnaire() : FhirResource("Questionnaire")
{
    public string? Url { get; init; }

    public string? Name { get; init; }

    public string? Title { get; init; }

    public required string Status { get; init; }

    public List<string>? SubjectType { get; init; }

    public string? Description { get; init; }

    public List<QuestionnaireItem>? Item { get; init; }
}

public sealed record Parameter(string Name)
{
    public string? ValueString { get; init; }

    public bool? ValueBoolean { get; init; }

    /// <summary>Any resource; typed object so it serializes with its runtime type.</summary>
    public object? Resource { get; init; }
}

public sealed record Parameters() : FhirResource("Parameters")
{
    public List<Parameter>? Parameter { get; init; }
}

public sealed record GuidanceResponse() : FhirResource("GuidanceResponse")
{
    public List<object>? Contained { get; init; }

    public required string ModuleUri { get; init; }

    public required string Status { get; init; }

    public FhirReference? Subject { get; init; }

    public string? OccurrenceDateTime { get; init; }

    public List<CodeableConcept>? ReasonCode { get; init; }

    public List<Annotation>? Note { get; init; }

    public FhirReference? OutputParameters { get; init; }
}

public sealed record Issue(string Severity, string Code)
{
    public CodeableConcept? Details { get; init; }

    public string? Diagnostics { get; init; }

    public List<string>? Expression { get; init; }
}

public sealed record OperationOutcome() : FhirResource("OperationOutcome")
{
    public required List<Issue> Issue { get; init; }
}

public sealed record BundleSearch(string Mode);

public sealed record BundleEntry(string? FullUrl, object Resource, BundleSearch? Search = null);

public sealed record BundleLink(string Relation, string Url);

public sealed record Bundle() : FhirResource("Bundle")
{
    public required string Type { get; init; }

    public string? Timestamp { get; init; }

    public int? Total { get; init; }

    public List<BundleLink>? Link { get; init; }

    public List<BundleEntry>? Entry { get; init; }
}

public sealed record TaskInput(CodeableConcept Type)
{
    public string? ValueCanonical { get; init; }

    public string? ValueUrl { get; init; }

    public string? ValueString { get; init; }
}

public sealed record FhirTask() : FhirResource("Task")
{
    public required string Status { get; init; }

    public required string Intent { get; init; }

    public CodeableConcept? Code { get; init; }

    public string? Description { get; init; }

    public FhirReference? For { get; init; }

    public string? AuthoredOn { get; init; }

    public FhirReference? Requester { get; init; }

    public FhirReference? Owner { get; init; }

    public CodeableConcept? ReasonCode { get; init; }

    public FhirReference? ReasonReference { get; init; }

    public List<TaskInput>? Input { get; init; }
}

public sealed record CapabilityInteraction(string Code);

public sealed record CapabilitySearchParam(string Name, string Type, string? Documentation = null);

public sealed record CapabilityOperation(string Name, string Definition, string? Documentation = null);

public sealed record CapabilityResource(string Type)
{
    public List<CapabilityInteraction>? Interaction { get; init; }

    public List<CapabilitySearchParam>? SearchParam { get; init; }

    public List<CapabilityOperation>? Operation { get; init; }
}

public sealed record CapabilityRest(string Mode, string? Documentation = null)
{
    public List<CapabilityResource>? Resource { get; init; }

    public List<CapabilityOperation>? Operation { get; init; }
}

public sealed record CapabilitySoftware(string Name, string? Version = null);

public sealed record CapabilityImplementation(string Description, string? Url = null);

public sealed record CapabilityStatement() : FhirResource("CapabilityStatement")
{
    public string? Url { get; init; }

    public string? Name { get; init; }

    public string? Title { get; init; }

    public required string Status { get; init; }

    public required string Date { get; init; }

    public string? Publisher { get; init; }

    public string? Description { get; init; }

    public required string Kind { get; init; }

    public CapabilitySoftware? Software { get; init; }

    public CapabilityImplementation? Implementation { get; init; }

    public required string FhirVersion { get; init; }

    public required List<string> Format { get; init; }

    public List<string>? ImplementationGuide { get; init; }

    public List<CapabilityRest>? Rest { get; init; }
}

public sealed record CommunicationPayload(string ContentString);

/// <summary>The notification we POST to an EHR when a dispense is denied (as rems-admin does; request-generator lists them).</summary>
public sealed record Communication() : FhirResource("Communication")
{
    public List<Identifier>? Identifier { get; init; }

    public required string Status { get; init; }

    public List<CodeableConcept>? Category { get; init; }

    public string? Priority { get; init; }

    public FhirReference? Subject { get; init; }

    public CodeableConcept? Topic { get; init; }

    public List<FhirReference>? About { get; init; }

    public string? Sent { get; init; }

    public List<FhirReference>? Recipient { get; init; }

    public FhirReference? Sender { get; init; }

    public List<CommunicationPayload>? Payload { get; init; }
}
