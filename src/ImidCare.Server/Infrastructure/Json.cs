using System.Text.Json;
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
        o.Converters.Add(new PatternConverter<LocalTime>(LocalTimePattern.ExtendedIso, "a time such as 08:00"));
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
}
