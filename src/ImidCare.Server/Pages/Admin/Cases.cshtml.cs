using System.Text.Json;
using ImidCare.Server.Web;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Admin;

/// <summary>Pregnancy and adverse-event cases with their MedWatch (FDA 3500) fields.</summary>
public sealed class CasesModel : WebPage
{
    public IReadOnlyList<(SafetyCase Case, IReadOnlyList<(string Field, string Value)> Fields)> Cases { get; private set; } = [];

    public async Task OnGetAsync()
    {
        await using var db = await DbAsync();
        var cases = await db.Cases.AsNoTracking().OrderByDescending(c => c.OpenedAt).Take(500).ToListAsync(Ct);
        Cases = [.. cases.Select(c => (c, Flatten(c.FieldsJson)))];
    }

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
                list.Add((prefix, e.ToString()));
            }
        }

        using var doc = JsonDocument.Parse(json);
        Walk(string.Empty, doc.RootElement);
        return list;
    }
}
