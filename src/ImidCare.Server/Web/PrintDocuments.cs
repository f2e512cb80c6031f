using System.Net;
using System.Text;
using ImidCare.Rules.Programs;
using ImidCare.Server.Rems;
using ImidCare.Store.Entities;

namespace ImidCare.Server.Web;

/// <summary>Standalone HTML for the printable documents (the PDF and the on-screen page show the same words).</summary>
public static class PrintDocuments
{
    private const string Style = "body{font:12pt/1.45 system-ui,sans-serif;color:#111;margin:24px}h1{font-size:18pt}h2{font-size:14pt;margin-top:18px}"
        + ".text{white-space:pre-wrap;border:1px solid #999;padding:10px}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;padding:4px;text-align:left}";

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? string.Empty);

    private static string Page(string title, string body) =>
        $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{E(title)}</title><style>{Style}</style></head><body>{body}</body></html>";

    public static string Agreement(Patient patient, ProgramRules program, IEnumerable<Agreement> signatures)
    {
        var sb = new StringBuilder();
        sb.Append($"<h1>Patient-Physician Agreement</h1><p>{E(patient.Name)}, born {E(Words.Day(patient.DateOfBirth))} · {E(program.Name)}</p>");
        sb.Append($"<div class=\"text\">{E(AgreementTexts.For(program))}</div><h2>Signatures</h2><ul>");
        foreach (var s in signatures)
        {
            sb.Append($"<li>Signed by <strong>{E(s.SignedBy)}</strong> ({E(s.SignerRole)}) on {E(Words.When(s.SignedAt, program.Zone))}, text {E(s.TextVersion)}, witnessed by {E(s.WitnessedBy)}. ");
            sb.Append($"Text fingerprint (SHA-256) {E(s.TextSha256)}{(s.TextSha256 == AgreementTexts.Sha256(program) ? " — matches the text above" : " — DIFFERENT from the text above")}.</li>");
        }

        return Page("Patient-Physician Agreement", sb.Append("</ul>").ToString());
    }

    public static string VisitSummary(VisitSummary v)
    {
        var sb = new StringBuilder();
        sb.Append($"<h1>Visit summary: {E(v.PatientName)}</h1><p>Prepared {E(Words.Day(v.Date))} for my next visit · {E(v.Medicine)}</p>");
        sb.Append(Inner(v));
        return Page("Visit summary", sb.ToString());
    }

    /// <summary>The body shared by the page and the PDF.</summary>
    public static string Inner(VisitSummary v)
    {
        var sb = new StringBuilder();
        sb.Append("<h2>Since my last visit</h2><ul>");
        foreach (var line in v.Facts)
        {
            sb.Append($"<li>{E(line)}</li>");
        }

        sb.Append("</ul><h2>Latest blood counts</h2>");
        if (v.Labs.Count == 0)
        {
            sb.Append("<p>None recorded.</p>");
        }
        else
        {
            sb.Append("<table><thead><tr><th scope=\"col\">Date</th><th scope=\"col\">ANC (cells/µL)</th><th scope=\"col\">Platelets (cells/µL)</th><th scope=\"col\">Hemoglobin (g/dL)</th></tr></thead><tbody>");
            foreach (var l in v.Labs)
            {
                sb.Append($"<tr><td>{E(Words.Day(l.TakenOn))}</td><td>{l.Anc}</td><td>{l.Platelets}</td><td>{l.HemoglobinGdL}</td></tr>");
            }

            sb.Append("</tbody></table>");
        }

        sb.Append("<h2>Coming up</h2><ul>");
        foreach (var u in v.Upcoming)
        {
            sb.Append($"<li>{E(u)}</li>");
        }

        sb.Append("</ul><h2>Questions I want to ask</h2><ul>");
        foreach (var q in v.Questions)
        {
            sb.Append($"<li>{E(q)}</li>");
        }

        return sb.Append("</ul>").ToString();
    }
}

/// <summary>A "conversation starter" for the next visit.</summary>
public sealed record VisitSummary(string PatientName, NodaTime.LocalDate Date, string Medicine, IReadOnlyList<string> Facts, IReadOnlyList<LabResultRecord> Labs,
    IReadOnlyList<string> Upcoming, IReadOnlyList<string> Questions);
