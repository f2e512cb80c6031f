using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json;
using ImidCare.Rules;
using System.Text.Json.Serialization;
using NodaTime;
using NodaTime.Text;

namespace ImidCare.Server.Infrastructure;

/// <summary>
/// One set of JSON rules for every endpoint: camelCase, enums as strings, NodaTime values in ISO
/// form, and strictness (unknown fields, missing required fields and nulls where a value is
/// required are errors) so bad input is refused with the field named, never half-read.
/// </summary>
public static class Json
{
    public static void Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        o.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        o.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        o.RespectNullableAnnotations = true;
        o.RespectRequiredConstructorParameters = true;
        o.AllowTrailingCommas = false;
        o.NumberHandling = JsonNumberHandling.Strict;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        o.Converters.Add(new PatternConverter<Instant>(InstantPattern.ExtendedIso, "an ISO 8601 instant such as 2026-11-21T14:30:00Z"));
        o.Converters.Add(new PatternConverter<LocalDate>(LocalDatePattern.Iso, "a date such as 2026-11-21"));
        o.Converters.Add(new PatternConverter<LocalTime>(new HoursMinutesPattern(), "a time such as 08:00 or 08:00:00"));
        o.Converters.Add(new PatternConverter<Duration>(DurationPattern.Roundtrip, "a duration such as 0:12:00:00"));
        o.Converters.Add(new DecisionConverter());
        o.Converters.Add(new DecisionDtoConverter());
        o.Converters.Add(new RawJsonConverter());
        o.Converters.Add(new ImmutableArrayConverterFactory());
    }

    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(o);
        return o;
    }

    private sealed class PatternConverter<T>(IPattern<T> pattern, string expected) : JsonConverter<T>
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException($"Expected {expected}.");
            }

            var result = pattern.Parse(reader.GetString()!);
            return result.Success ? result.Value : throw new JsonException($"'{reader.GetString()}' is not {expected}: {result.Exception.Message.Split('\n')[0]}");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(pattern.Format(value));
    }

    /// <summary>Times of day as people write them: "08:00", also "08:00:00"; written as "08:00" when whole minutes.</summary>
    private sealed class HoursMinutesPattern : IPattern<LocalTime>
    {
        private static readonly LocalTimePattern Short = LocalTimePattern.CreateWithInvariantCulture("HH:mm");

        public ParseResult<LocalTime> Parse(string text)
        {
            var result = Short.Parse(text);
            return result.Success ? result : LocalTimePattern.ExtendedIso.Parse(text);
        }

        public string Format(LocalTime value) =>
            value.Second == 0 && value.NanosecondOfSecond == 0 ? Short.Format(value) : LocalTimePattern.ExtendedIso.Format(value);

        public System.Text.StringBuilder AppendFormat(LocalTime value, System.Text.StringBuilder builder) => builder.Append(Format(value));
    }

    /// <summary>
    /// JSON this process has already written with these options (a decision stored beside its row),
    /// placed inside another document as it is: the single writer serialized the same decision twice,
    /// for the row and for the audit record.
    /// </summary>
    public readonly record struct RawJson(string Value);

    private sealed class RawJsonConverter : JsonConverter<RawJson>
    {
        public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new JsonException("Stored JSON is written, never read, through this type.");

        public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value.Value, skipInputValidation: true);
    }

    /// <summary>Every decision, wherever it sits in a response, is written in the one API shape.</summary>
    private sealed class DecisionConverter : JsonConverter<Decision>
    {
        public override Decision Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new JsonException("A decision is an answer, not an input.");

        public override void Write(Utf8JsonWriter writer, Decision value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, DecisionDto.From(value), options);
    }

    /// <summary>
    /// A decision written by hand, property by property, as the serializer would write it (camelCase,
    /// in declaration order): every counter answer carries one with a dozen reasons, and the
    /// serializer's per-property machinery was the largest cost of the status check. A test holds
    /// it to the serializer's own output.
    /// </summary>
    internal sealed class DecisionDtoConverter : JsonConverter<DecisionDto>
    {
        public override DecisionDto Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            return new DecisionDto(
                root.GetProperty("outcome").GetString()!,
                root.GetProperty("usesUnverifiedRules").GetBoolean(),
                [.. root.GetProperty("reasons").EnumerateArray().Select(r => new ReasonDto(
                    r.GetProperty("code").GetString()!, r.GetProperty("message").GetString()!, r.GetProperty("source").GetString()!,
                    r.GetProperty("evidence").GetString()!, r.GetProperty("unverified").GetBoolean()))]);
        }

        public override void Write(Utf8JsonWriter writer, DecisionDto value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            writer.WriteString(Outcome, value.Outcome);
            writer.WriteBoolean(UsesUnverifiedRules, value.UsesUnverifiedRules);
            writer.WriteStartArray(Reasons);
            foreach (var r in value.Reasons)
            {
                writer.WriteStartObject();
                writer.WriteString(Code, Encoded(r.Code));
                writer.WriteString(Message, r.Message);
                writer.WriteString(Source, Encoded(r.Source));
                writer.WriteString(Evidence, Encoded(r.Evidence));
                writer.WriteBoolean(Unverified, r.Unverified);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        // A reason's code, source and evidence are the rule data's own strings, the same instances
        // in every answer; most sources carry a '§', which the default encoder escapes, on its slow
        // path, in every status check (docs/benchmarks.md, session 14). Each is encoded once, found
        // by reference. Messages, some made per answer, are not kept. The bound only matters if a
        // rule ever made these per answer too: then the rest are encoded as before.
        private const int MaxEncoded = 4096;
        private static readonly ConcurrentDictionary<string, JsonEncodedText> EncodedTexts = new(ReferenceEqualityComparer.Instance);

        internal static JsonEncodedText Encoded(string text)
        {
            if (EncodedTexts.TryGetValue(text, out var encoded))
            {
                return encoded;
            }

            encoded = JsonEncodedText.Encode(text);
            if (EncodedTexts.Count < MaxEncoded)
            {
                EncodedTexts.TryAdd(text, encoded);
            }

            return encoded;
        }

        internal static readonly JsonEncodedText Outcome = JsonEncodedText.Encode("outcome");
        internal static readonly JsonEncodedText UsesUnverifiedRules = JsonEncodedText.Encode("usesUnverifiedRules");
        internal static readonly JsonEncodedText Reasons = JsonEncodedText.Encode("reasons");
        internal static readonly JsonEncodedText Code = JsonEncodedText.Encode("code");
        internal static readonly JsonEncodedText Message = JsonEncodedText.Encode("message");
        internal static readonly JsonEncodedText Source = JsonEncodedText.Encode("source");
        private static readonly JsonEncodedText Evidence = JsonEncodedText.Encode("evidence");
        private static readonly JsonEncodedText Unverified = JsonEncodedText.Encode("unverified");
    }

    /// <summary>Reads arrays as usual; writes a default (never-initialised) ImmutableArray as [] instead of throwing.</summary>
    private sealed class ImmutableArrayConverterFactory : JsonConverterFactory
    {
        public override bool CanConvert(Type typeToConvert) =>
            typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(ImmutableArray<>);

        public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
            (JsonConverter)Activator.CreateInstance(typeof(ImmutableArrayConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;
    }

    private sealed class ImmutableArrayConverter<T> : JsonConverter<ImmutableArray<T>>
    {
        public override ImmutableArray<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            [.. JsonSerializer.Deserialize<List<T>>(ref reader, options) ?? []];

        public override void Write(Utf8JsonWriter writer, ImmutableArray<T> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.IsDefault ? [] : (IEnumerable<T>)value, options);
    }
}
