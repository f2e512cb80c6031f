using Microsoft.Net.Http.Headers;

namespace ImidCare.Server.Infrastructure;

/// <summary>
/// JSON bodies are read as UTF-8 (RFC 8259 §8.1). The framework looks a declared charset up by
/// name and throws on one it does not know (a 500 for <c>charset=ebcdic</c>), and it does not
/// unquote one (<c>charset="utf-8"</c>, valid under RFC 9110, was a 500 too). Here a JSON request
/// declaring UTF-8, quoted or not, goes on with the plain form, and one declaring anything else is
/// refused with 415 naming it, before any endpoint reads the body.
/// </summary>
public static class JsonCharset
{
    public static void UseJsonCharset(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.Request.ContentType is { } given
            && MediaTypeHeaderValue.TryParse(given, out var type)
            && (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.MediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
            && type.Charset.HasValue)
        {
            var charset = HeaderUtilities.RemoveQuotes(type.Charset).ToString();
            if (!charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            {
                await Results.Json(
                    new ProblemDto(
                        "https://imidcare.example/problems/unsupported-charset",
                        "JSON is read as UTF-8.",
                        StatusCodes.Status415UnsupportedMediaType,
                        $"This request declares charset '{charset}'. Send the body as UTF-8 (RFC 8259 §8.1), with charset=utf-8 or no charset.",
                        new Dictionary<string, string[]> { ["Content-Type"] = [$"charset '{charset}' is not supported; use utf-8."] }),
                    Json.Options,
                    "application/problem+json",
                    StatusCodes.Status415UnsupportedMediaType).ExecuteAsync(http);
                return;
            }

            type.Charset = "utf-8";
            http.Request.ContentType = type.ToString();
        }

        await next(http);
    });
}
