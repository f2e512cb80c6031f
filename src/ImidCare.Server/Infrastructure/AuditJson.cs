using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ImidCare.Rules;
using ImidCare.Store;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using Names = ImidCare.Server.Infrastructure.Json.DecisionDtoConverter;

namespace ImidCare.Server.Infrastructure;

/// <summary>
/// What the audit trail stores of a request, and how it is read back.
/// <para>
/// A decision is stored as answered, except that each reason names its rule's source (document,
/// evidence tag, unverified flag) by reference: a record of its own, appended to the trail the
/// first time that source is used in the database and hashed into its id
/// (<see cref="AuditWriter.Reference"/>). A counter decision has nine to a dozen reasons whose
/// sources are the same few dozen sentences in every record; written out they were half of every
/// record and more than half of the bytes a dispense committed, and a record of over 2 KB filled a
/// 4 KB page alone (docs/benchmarks.md, "Session 21"). Nothing is lost: the reference is in the
/// chain before any record that names it, cannot be altered without breaking the chain, and
/// `audit verify` checks that each one's id is the hash of its text. <see cref="ExpandAsync"/>
/// puts the sources back, so the trail's readers see each decision as the caller was answered.
/// </para>
/// </summary>
public static class AuditJson
{
    /// <summary>Kind of the references to rule sources: ids are rs_ and 32 hex digits.</summary>
    public const string SourceKind = "rs";

    /// <summary>The data of an audit record, with the decisions in it as the trail stores them.</summary>
    public static string Data(this AuditWriter audit, object value)
    {
        var outer = AuditDecisionConverter.Writer;
        AuditDecisionConverter.Writer = audit;
        try
        {
            return JsonSerializer.Serialize(value, Options);
        }
        finally
        {
            AuditDecisionConverter.Writer = outer;
        }
    }

    private static readonly JsonSerializerOptions Options = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var o = new JsonSerializerOptions(Json.Options);

        // Ahead of the API's own decision converter: the first converter that takes a type wins.
        o.Converters.Insert(0, new AuditDecisionConverter());
        return o;
    }

    /// <summary>
    /// The records' data with every rule source put back in place of its reference (in the order
    /// the API writes a reason: code, message, source, evidence, unverified), in one query for all.
    /// </summary>
    public static async Task<List<JsonNode?>> ExpandAsync(ImidCareDb db, IEnumerable<string> dataJsons, CancellationToken ct)
    {
        var nodes = dataJsons.Select(j => JsonNode.Parse(j)).ToList();
        var reasons = new List<JsonObject>();
        foreach (var node in nodes)
        {
            CollectReferringReasons(node, reasons);
        }

        if (reasons.Count == 0)
        {
            return nodes;
        }

        var subjects = reasons.Select(r => AuditChain.ReferenceSubject((string)r["source"]!)).Distinct().ToList();
        var texts = await db.Audit.AsNoTracking()
            .Where(a => a.Action == AuditChain.ReferenceAction && subjects.Contains(a.Subject))
            .Select(a => new { a.Subject, a.DataJson })
            .ToListAsync(ct);
        var sources = texts.GroupBy(t => t.Subject).ToDictionary(g => g.Key, g => JsonSerializer.Deserialize<RuleSource>(g.First().DataJson, Json.Options)!);
        foreach (var reason in reasons)
        {
            // A reference with no record behind it stays as it is: `audit verify` is what reports a trail that lost one.
            if (sources.TryGetValue(AuditChain.ReferenceSubject((string)reason["source"]!), out var source))
            {
                reason["source"] = source.Document;
                reason["evidence"] = source.Evidence;
                reason["unverified"] = source.Unverified;
            }
        }

        return nodes;
    }

    private static void CollectReferringReasons(JsonNode? node, List<JsonObject> reasons)
    {
        switch (node)
        {
            case JsonObject o when o.Count == 3 && o["code"] is JsonValue && o["message"] is JsonValue
                && o["source"] is JsonValue v && v.TryGetValue<string>(out var s) && IsSourceReference(s):
                reasons.Add(o);
                break;
            case JsonObject o:
                foreach (var (_, child) in o)
                {
                    CollectReferringReasons(child, reasons);
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    CollectReferringReasons(child, reasons);
                }

                break;
        }
    }

    private static bool IsSourceReference(string s) =>
        s.Length == SourceKind.Length + 33 && s.StartsWith(SourceKind + "_", StringComparison.Ordinal) && s.AsSpan(SourceKind.Length + 1).ContainsOnlyHexLower();

    private static bool ContainsOnlyHexLower(this ReadOnlySpan<char> s) => !s.ContainsAnyExcept("0123456789abcdef");

    /// <summary>
    /// A decision as the trail stores it: outcome, the unverified flag, and each reason's code,
    /// message and source reference. Used only through <see cref="Data"/>, which names the writer
    /// the references go to for the length of one (synchronous) serialization on its thread.
    /// </summary>
    private sealed class AuditDecisionConverter : JsonConverter<DecisionDto>
    {
        [ThreadStatic]
        internal static AuditWriter? Writer;

        // Sources are the rule data's own instances: their references are made once, found by reference.
        // The bound only matters if a rule ever made sources per decision: then the rest are made each time.
        private const int MaxKept = 4096;
        private static readonly ConditionalWeakTable<string, ConcurrentDictionary<(string Evidence, bool Unverified), SourceReference>> Kept = new();
        private static int kept;

        public override DecisionDto Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new JsonException("A stored decision is read through AuditJson.ExpandAsync.");

        public override void Write(Utf8JsonWriter writer, DecisionDto value, JsonSerializerOptions options)
        {
            var audit = Writer ?? throw new InvalidOperationException("Audit data is written through AuditJson.Data, with its audit writer.");
            writer.WriteStartObject();
            writer.WriteString(Names.Outcome, value.Outcome);
            writer.WriteBoolean(Names.UsesUnverifiedRules, value.UsesUnverifiedRules);
            writer.WriteStartArray(Names.Reasons);
            foreach (var r in value.Reasons)
            {
                var source = ReferenceOf(r);
                audit.Reference(source.Id, source.Json);
                writer.WriteStartObject();
                writer.WriteString(Names.Code, Names.Encoded(r.Code));
                writer.WriteString(Names.Message, r.Message);
                writer.WriteString(Names.Source, source.Id);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        private static SourceReference ReferenceOf(ReasonDto r)
        {
            var byDocument = Kept.GetValue(r.Source, _ => new());
            if (byDocument.TryGetValue((r.Evidence, r.Unverified), out var found))
            {
                return found;
            }

            // A reference record holds the rule data's own RuleSource, as the API's options write it.
            var json = JsonSerializer.Serialize(new RuleSource(r.Source, r.Evidence, r.Unverified), Json.Options);
            var made = new SourceReference(AuditChain.ReferenceId(SourceKind, json), json);
            if (Interlocked.Increment(ref kept) <= MaxKept)
            {
                byDocument.TryAdd((r.Evidence, r.Unverified), made);
            }

            return made;
        }

        private sealed record SourceReference(string Id, string Json);
    }
}
