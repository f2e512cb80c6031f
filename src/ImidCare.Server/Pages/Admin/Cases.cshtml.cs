using System.Text.Json;
using ImidCare.Server.Rems;
using ImidCare.Server.Web;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Admin;

/// <summary>
/// Pregnancy and adverse-event cases with their MedWatch (FDA 3500) fields, and the case's status
/// moved on with a reason through the API's own core (same transitions, same audit record).
/// </summary>
public sealed class CasesModel : WebPage
{
    public IReadOnlyList<(SafetyCase Case, string Patient, IReadOnlyList<(string Field, string Value)> Fields)> Cases { get; private set; } = [];

    /// <summary>Who reported each case, by name and role rather than by account id.</summary>
    public IReadOnlyDictionary<string, string> Reporters { get; private set; } = new Dictionary<string, string>();

    /// <summary>The programs' zone (all are US programs in one zone), named on the page beside each time.</summary>
    public static NodaTime.DateTimeZone Zone => ImidCare.Rules.Programs.ProgramCatalog.Pomalidomide.Zone;

    [BindProperty]
    public string? Reason { get; set; }

    public string? Done { get; private set; }

    public string? FailedCase { get; private set; }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostAsync(string caseId, string status)
    {
        var me = Me;
        var req = new CaseStatusRequest(status ?? string.Empty, Reason ?? string.Empty);
        var reply = await WriteAsync((db, audit, now) => SafetyEndpoints.ChangeCaseStatusAsync(me, caseId, req, db, audit, now, Ct));
        if (Accept(reply, new Dictionary<string, string> { ["reason"] = $"Reason-{caseId}", ["status"] = $"Reason-{caseId}" }))
        {
            var c = (CaseDto)reply.Body!;
            Done = $"Case {c.Id} is now {c.Status}.";
            Reason = null;
        }
        else
        {
            FailedCase = caseId;
        }

        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        await using var db = await DbAsync();
        var cases = await db.Cases.AsNoTracking().OrderByDescending(c => c.OpenedAt).Take(500)
            .GroupJoin(db.Patients, c => c.PatientId, p => p.Id, (c, ps) => new { c, ps })
            .SelectMany(x => x.ps.DefaultIfEmpty(), (x, p) => new { x.c, Name = p == null ? x.c.PatientId : p.Name }).ToListAsync(Ct);
        Cases = [.. cases.Select(x => (x.c, x.Name, Flatten(x.c.FieldsJson)))];
        var reporters = cases.Select(x => x.c.ReportedBy).Distinct().ToList();
        Reporters = await db.Users.AsNoTracking().Where(u => reporters.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => $"{u.DisplayName} ({u.Role})", Ct);
    }

    /// <summary>"medWatch.eventDescription" → "Event description": the form's words, not the stored path.</summary>
    internal static string Label(string path)
    {
        var name = path[(path.LastIndexOf('.') + 1)..];
        var words = System.Text.RegularExpressions.Regex.Replace(name, "(?<=[a-z0-9])(?=[A-Z])", " ").ToLowerInvariant();
        return words.Length == 0 ? path : char.ToUpperInvariant(words[0]) + words[1..];
    }

    private static string Value(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        JsonValueKind.Null => "—",
        JsonValueKind.Array => e.GetArrayLength() == 0 ? "none" : string.Join(", ", e.EnumerateArray().Select(Value)),
        _ => e.ToString(),
    };

    private static IReadOnlyList<(string, string)> Flatten(string json)
    {
        var list = new List<(string, string)>();
        void Walk(string prefix, JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in e.EnumerateObject())
                {
                    Walk(prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}", p.Value);
                }
            }
            else
            {
                list.Add((Label(prefix), Value(e)));
            }
        }

        using var doc = JsonDocument.Parse(json);
        Walk(string.Empty, doc.RootElement);
        return list;
    }
}
