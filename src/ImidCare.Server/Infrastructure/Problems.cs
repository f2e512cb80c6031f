using System.Text.Json;
using ImidCare.Rules;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace ImidCare.Server.Infrastructure;

/// <summary>A rule's reason as the API shows it.</summary>
public sealed record ReasonDto(string Code, string Message, string Source, string Evidence, bool Unverified);

/// <summary>A decision as the API shows it: the same value the audit trail stores.</summary>
public sealed record DecisionDto(string Outcome, bool UsesUnverifiedRules, IReadOnlyList<ReasonDto> Reasons)
{
    public static DecisionDto From(Decision d) => new(
        d.Outcome.ToString().ToLowerInvariant(),
        d.UsesUnverifiedRules,
        [.. d.Reasons.Select(r => new ReasonDto(r.Code, r.Message, r.Source.Document, r.Source.Evidence, r.Unverified))]);

    public string ToJson() => JsonSerializer.Serialize(this, Json.Options);
}

/// <summary>An RFC 9457 problem, with the decision behind it when a rule refused.</summary>
public sealed record ProblemDto(
    string Type,
    string Title,
    int Status,
    string? Detail = null,
    IDictionary<string, string[]>? Errors = null,
    DecisionDto? Decision = null,
    IReadOnlyList<string>? Codes = null);

/// <summary>
/// What an endpoint answers: a status and a body. Kept as a value (not written straight to the
/// response) so an idempotent request can store it and replay it byte for byte.
/// </summary>
public sealed record Reply(int Status, object? Body)
{
    public bool IsProblem => Body is ProblemDto;

    public IResult ToResult() => Body is null
        ? Results.StatusCode(Status)
        : Results.Json(Body, Json.Options, IsProblem ? "application/problem+json" : "application/json", Status);

    public static Reply Ok(object body) => new(200, body);

    public static Reply Created(object body) => new(201, body);
}

/// <summary>RFC 9457 problem details for every refusal.</summary>
public static class Problems
{
    private const string Base = "https://imidcare.example/problems/";

    public static Reply Validation(string field, string reason) =>
        Validation(new Dictionary<string, string[]> { [field] = [reason] });

    public static Reply Validation(IDictionary<string, string[]> errors) => new(400, new ProblemDto(
        Base + "validation",
        "The request has invalid fields.",
        400,
        string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")),
        errors));

    /// <summary>A REMS or clinical rule said no: 422 with the decision and every reason.</summary>
    public static Reply Refused(Decision decision, string title) => new(422, new ProblemDto(
        Base + "rems-refusal",
        title,
        422,
        string.Join(" ", decision.Reasons.Select(r => r.Message)),
        Decision: DecisionDto.From(decision),
        Codes: [.. decision.Reasons.Select(r => r.Code)]));

    /// <summary>The rules refuse impossible input with ArgumentException naming the parameter: a 400 on that field.</summary>
    public static Reply FromArgument(ArgumentException e, string fallbackField = "body") =>
        Validation(e.ParamName ?? fallbackField, e.Message.Split(" (Parameter")[0]);

    public static Reply NotFound(string what) => new(404, new ProblemDto(Base + "not-found", $"{what} was not found.", 404));

    public static Reply Conflict(string title, string detail, Decision? decision = null) => new(409, new ProblemDto(
        Base + "conflict", title, 409, detail, Decision: decision is null ? null : DecisionDto.From(decision),
        Codes: decision is null ? null : [.. decision.Reasons.Select(r => r.Code)]));

    public static Reply Forbidden(string detail) => new(403, new ProblemDto(Base + "forbidden", "You may not act on this.", 403, detail));

    /// <summary>A JSON body declared in a charset other than UTF-8 (RFC 8259 §8.1): 415 naming it.</summary>
    public static Reply UnsupportedCharset(string charset) => new(415, new ProblemDto(
        Base + "unsupported-charset",
        "JSON is read as UTF-8.",
        415,
        $"This request declares charset '{charset}'. Send the body as UTF-8 (RFC 8259 §8.1), with charset=utf-8 or no charset.",
        new Dictionary<string, string[]> { ["Content-Type"] = [$"charset '{charset}' is not supported; use utf-8."] }));
}

/// <summary>
/// Turns unreadable requests (malformed JSON, wrong types, unknown fields, impossible dates) into
/// 400 problem details naming the field, instead of the framework's empty 400 or a 500.
/// </summary>
public sealed partial class BadRequestHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        var json = FindJsonException(bad);
        var parameter = json is null ? BoundParameter().Match(bad.Message) : null;
        var field = json?.Path is { Length: > 0 } p ? p.TrimStart('$', '.') : parameter is { Success: true } ? parameter.Groups["name"].Value : "body";
        var reason = json is not null ? Explain(json, BodyType(http), field)
            : parameter is { Success: true } ? ExplainParameter(parameter)
            : bad.Message.Contains("no body was provided", StringComparison.Ordinal) ? "A JSON body is required." // the framework's words name its parameter and suggest a service
            : bad.Message;
        http.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ValidationProblemDetails(new Dictionary<string, string[]> { [field.Length == 0 ? "body" : field] = [reason] })
            {
                Title = "The request could not be read.",
                Detail = $"{(field.Length == 0 ? "body" : field)}: {reason}",
                Status = bad.StatusCode,
                Type = "https://imidcare.example/problems/unreadable-request",
            },
        });
    }

    /// <summary>The type the failing endpoint reads its body as (the exception handler clears the endpoint; its feature keeps it).</summary>
    private static Type? BodyType(HttpContext http) =>
        (http.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? http.GetEndpoint())?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.RequestType;

    private static JsonException? FindJsonException(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is JsonException j)
            {
                return j;
            }
        }

        return null;
    }

    /// <summary>
    /// The reader's reason in the caller's terms. System.Text.Json names a .NET type ("could not be
    /// converted to ImidCare.Server.Rems.DispenseRequest", the body's type even when the field at
    /// fault is a number), which tells a pharmacy system nothing about what to send and tells
    /// anyone how the server is built; the field's expected kind is found from the body's type
    /// (the endpoint's metadata) along the field's path instead.
    /// </summary>
    internal static string Explain(JsonException json, Type? bodyType, string field)
    {
        if (json.InnerException is InvalidOperationException inner && inner.Message.Contains("UTF-8", StringComparison.Ordinal))
        {
            return "The text is not valid UTF-8.";
        }

        // System.Text.Json appends "Path: $.x | LineNumber: ..." — the field is reported separately.
        var message = json.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        message = cut > 0 ? message[..cut] : message;

        if (MissingFields().Match(message) is { Success: true } missing)
        {
            return "Required fields are missing: " + string.Join(", ", Quoted().Matches(missing.Groups[1].Value).Select(m => m.Groups[1].Value)) + ".";
        }

        if (message.Contains("doesn't allow null values", StringComparison.Ordinal))
        {
            return "A value is required here; null is not allowed.";
        }

        if (message.StartsWith("The JSON property '", StringComparison.Ordinal) && message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return "This field is not part of the request.";
        }

        if (!NotConverted().IsMatch(message))
        {
            // Any other reader message keeps its words, with any .NET type it names taken out.
            return TypeName().Replace(message, "the expected value");
        }

        return FieldType(bodyType, field) is { } type ? $"The value must be {Describe(type)}." : "The value has the wrong type for this field.";
    }

    /// <summary>
    /// A query or route value the framework could not bind: its words name the parameter with its
    /// C# type (<c>Failed to bind parameter "Nullable&lt;long&gt; afterSeq" from "abc".</c>) and call
    /// the field "body"; here the field is the parameter and the reason says what it must be.
    /// </summary>
    private static string ExplainParameter(System.Text.RegularExpressions.Match m)
    {
        if (!m.Groups["value"].Success)
        {
            return "A value is required.";
        }

        var keyword = m.Groups["type"].Value;
        keyword = keyword.StartsWith("Nullable<", StringComparison.Ordinal) ? keyword["Nullable<".Length..].TrimEnd('>') : keyword.TrimEnd('?');
        var kind = !Keywords.TryGetValue(keyword, out var type) ? "a valid value"
            : IsWholeNumber(type) ? "a whole number in range" // a query's usual fault is a number too large for its type
            : Describe(type);
        var value = m.Groups["value"].Value;
        return $"'{(value.Length > 40 ? value[..40] + "…" : value)}' is not {kind}.";
    }

    /// <summary>The C# keywords the framework's binding messages name, for the kinds a query value can have.</summary>
    private static readonly Dictionary<string, Type> Keywords = new(StringComparer.Ordinal)
    {
        ["int"] = typeof(int), ["long"] = typeof(long), ["short"] = typeof(short), ["byte"] = typeof(byte), ["uint"] = typeof(uint), ["ulong"] = typeof(ulong),
        ["bool"] = typeof(bool), ["decimal"] = typeof(decimal), ["double"] = typeof(double), ["float"] = typeof(float),
    };

    private static bool IsWholeNumber(Type type) =>
        type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) || type == typeof(uint) || type == typeof(ulong);

    [System.Text.RegularExpressions.GeneratedRegex("""^(?:Failed to bind parameter "(?<type>[^" ]+) (?<name>[^"]+)" from "(?<value>.*)"\.|Required parameter "(?<type>[^" ]+) (?<name>[^"]+)" was not provided.*)$""", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex BoundParameter();

    /// <summary>The type a body's field holds, along a path such as <c>checklist.items[2].name</c>; null when it cannot be followed.</summary>
    private static Type? FieldType(Type? type, string path)
    {
        if (type is null || path is "body" or "")
        {
            return type;
        }

        foreach (var part in path.Split('.'))
        {
            var name = part;
            var indexed = name.IndexOf('[', StringComparison.Ordinal);
            if (indexed >= 0)
            {
                name = name[..indexed];
            }

            if (name.Length > 0)
            {
                type = type.GetProperty(name, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase)?.PropertyType;
                if (type is null)
                {
                    return null;
                }
            }

            if (indexed >= 0)
            {
                type = ElementType(type);
                if (type is null)
                {
                    return null;
                }
            }
        }

        return type;
    }

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];

    private static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type switch
        {
            { IsEnum: true } => "one of " + string.Join(", ", Enum.GetNames(type).Select(n => $"\"{JsonNamingPolicy.CamelCase.ConvertName(n)}\"")),
            _ when type == typeof(string) => "a string",
            _ when type == typeof(bool) => "true or false",
            _ when IsWholeNumber(type) => "a whole number",
            _ when type == typeof(decimal) || type == typeof(double) || type == typeof(float) => "a number",
            _ when type == typeof(NodaTime.LocalDate) => "a date such as 2026-11-21",
            _ when type == typeof(NodaTime.Instant) => "an ISO 8601 instant such as 2026-11-21T14:30:00Z",
            _ when type == typeof(NodaTime.LocalTime) => "a time such as 08:00",
            _ when ElementType(type) is not null => "a JSON array",
            _ => "a JSON object",
        };
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^JSON deserialization for type '[^']+' was missing required properties including: (.+)\.$")]
    private static partial System.Text.RegularExpressions.Regex MissingFields();

    [System.Text.RegularExpressions.GeneratedRegex(@"'?\b(?:ImidCare|System|NodaTime|Microsoft)\.[\w.`\[\], ]*[\w\]]'?")]
    private static partial System.Text.RegularExpressions.Regex TypeName();

    [System.Text.RegularExpressions.GeneratedRegex("'([^']+)'")]
    private static partial System.Text.RegularExpressions.Regex Quoted();

    [System.Text.RegularExpressions.GeneratedRegex(@"^The JSON value could not be converted to (.+)\.$")]
    private static partial System.Text.RegularExpressions.Regex NotConverted();
}
