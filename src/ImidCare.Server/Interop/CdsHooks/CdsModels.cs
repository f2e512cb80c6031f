using System.Text.Json.Serialization;

namespace ImidCare.Server.Interop.CdsHooks;

// CDS Hooks 2.0 response shapes (discovery and cards). Serialized with FhirJson.Options (camelCase, nulls omitted).

public sealed record CdsService(string Id, string Hook, string Title, string Description, IReadOnlyDictionary<string, string>? Prefetch, string? UsageRequirements = null);

public sealed record CdsDiscovery(IReadOnlyList<CdsService> Services);

public sealed record CdsSource(string Label, string? Url = null);

public sealed record CdsLink(string Label, string Url, string Type, string? AppContext = null);

public sealed record CdsAction(string Type, string Description, object? Resource = null);

public sealed record CdsSuggestion(string Label, string Uuid, IReadOnlyList<CdsAction> Actions);

public sealed record CdsCard
{
    public required string Uuid { get; init; }

    public required string Summary { get; init; }

    public string? Detail { get; init; }

    public required string Indicator { get; init; }

    public required CdsSource Source { get; init; }

    public IReadOnlyList<CdsSuggestion>? Suggestions { get; init; }

    public string? SelectionBehavior { get; init; }

    public IReadOnlyList<CdsLink>? Links { get; init; }

    /// <summary>Our reason codes behind the card, so a client (or a test) can tell exactly what is missing.</summary>
    [JsonPropertyName("extension")]
    public IReadOnlyDictionary<string, object>? Extension { get; init; }
}

public sealed record CdsResponse(IReadOnlyList<CdsCard> Cards);
