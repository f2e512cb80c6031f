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
        // Most requests declare no charset: only those are parsed (the counter's writes pass through here).
        if (http.Request.ContentType is { } given
            && given.Contains("charset", StringComparison.OrdinalIgnoreCase)
            && MediaTypeHeaderValue.TryParse(given, out var type)
            && (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.MediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
            && type.Charset.HasValue)
        {
            var charset = HeaderUtilities.RemoveQuotes(type.Charset).ToString();
            if (!charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            {
                await Problems.UnsupportedCharset(charset).ToResult().ExecuteAsync(http);
                return;
            }

            type.Charset = "utf-8";
            http.Request.ContentType = type.ToString();
        }

        await next(http);
    });
}
