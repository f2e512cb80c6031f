using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;

namespace ImidCare.Server.Tests.Support;

public sealed record ApiResult(HttpStatusCode Status, JsonElement Body, string Raw, string? ContentType)
{
    public int Code => (int)Status;

    public string Str(string name) => Body.GetProperty(name).GetString()!;

    /// <summary>The stable reason codes of a refusal.</summary>
    public IReadOnlyList<string> Codes => Body.TryGetProperty("codes", out var c) ? [.. c.EnumerateArray().Select(x => x.GetString()!)] : [];

    public IReadOnlyList<string> ErrorFields => Body.TryGetProperty("errors", out var e) ? [.. e.EnumerateObject().Select(p => p.Name)] : [];

    public override string ToString() => $"{Code} {Raw}";
}

public static class Http
{
    public static string Iso(Instant i) => InstantPattern.ExtendedIso.Format(i);

    public static async Task<ApiResult> PostAsync(this HttpClient c, string url, object? body = null, string? idempotencyKey = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = body is null ? null : JsonContent.Create(body),
        };
        if (idempotencyKey is not null)
        {
            req.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await SendAsync(c, req);
    }

    public static async Task<ApiResult> PostRawAsync(this HttpClient c, string url, string json)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        return await SendAsync(c, req);
    }

    public static async Task<ApiResult> PutJsonAsync(this HttpClient c, string url, object body) =>
        await SendAsync(c, new HttpRequestMessage(HttpMethod.Put, url) { Content = JsonContent.Create(body) });

    public static async Task<ApiResult> GetJsonAsync(this HttpClient c, string url) => await SendAsync(c, new HttpRequestMessage(HttpMethod.Get, url));

    public static async Task<ApiResult> DeleteJsonAsync(this HttpClient c, string url) => await SendAsync(c, new HttpRequestMessage(HttpMethod.Delete, url));

    private static async Task<ApiResult> SendAsync(HttpClient c, HttpRequestMessage req)
    {
        using var r = await c.SendAsync(req);
        var raw = await r.Content.ReadAsStringAsync();
        var body = raw.Length > 0 && raw.TrimStart()[0] is '{' or '[' ? JsonDocument.Parse(raw).RootElement.Clone() : default;
        return new ApiResult(r.StatusCode, body, raw, r.Content.Headers.ContentType?.MediaType);
    }
}
