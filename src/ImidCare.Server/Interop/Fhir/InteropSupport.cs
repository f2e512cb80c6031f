using System.Text;
using ImidCare.Server.Security;
using ImidCare.Store;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Interop;

/// <summary>
/// Authentication for the interop endpoints. The existing ImidCare scheme (X-Api-Key, or a session
/// as Bearer) has already run; peer clients that can only send "Authorization: Bearer" may also put
/// an organisation API key there. That key is found as an X-Api-Key is (ApiKeyCallers), only on
/// interop routes, and yields the same Caller (a pharmacy key acts as its pharmacy, an office key
/// for its practice). Nothing else in the application accepts it.
/// </summary>
public static class InteropAuth
{
    public static async Task<Caller?> CallerAsync(HttpContext http)
    {
        if (Caller.From(http.User) is { } known)
        {
            return known;
        }

        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header["Bearer ".Length..].Trim();
        if (token.Length is 0 or > 512)
        {
            return null;
        }

        var keys = http.RequestServices.GetRequiredService<ApiKeyCallers>();
        var principal = await keys.FindAsync(http.RequestServices.GetRequiredService<IDbContextFactory<ImidCareDb>>(), token, http.RequestAborted);
        if (principal is null)
        {
            return null;
        }

        http.User = principal;
        return principal.Caller;
    }
}

/// <summary>Reads a request body with a hard size limit, so a huge document is refused before it is parsed.</summary>
public static class BodyReader
{
    public const int MaxBytes = 1_000_000;

    /// <summary>Bodies above this are not even drained: the connection is closed instead.</summary>
    public const long DrainLimit = 16_000_000;

    /// <summary>
    /// The body as text, or null with TooLarge set when it exceeds <paramref name="max"/> bytes. An
    /// oversized body is read and discarded (up to <see cref="DrainLimit"/>) without being kept, so
    /// the client receives the 413 instead of a reset connection.
    /// </summary>
    public static async Task<(string? Text, bool TooLarge)> ReadAsync(HttpContext http, int max = MaxBytes)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        long seen = 0;
        var tooLarge = http.Request.ContentLength > max;
        try
        {
            int n;
            while ((n = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                seen += n;
                if (seen > DrainLimit)
                {
                    return (null, true);
                }

                if (seen > max)
                {
                    tooLarge = true;
                }

                if (!tooLarge)
                {
                    buffer.Write(chunk, 0, n);
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, true);
        }

        return tooLarge ? (null, true) : (Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length), false);
    }
}
