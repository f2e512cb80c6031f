using ImidCare.Rules;
using ImidCare.Server.Interop.Fhir;

namespace ImidCare.Server.Interop.Ncpdp;

/// <summary>
/// Decision → NCPDP REMS reason code and note. The code of each failing reason comes from
/// <see cref="Requirements"/> (EM patient, ES prescriber, EO pharmacy, EC case/prescription,
/// ER anything else); a message carries one code, the most important by EM &gt; ES &gt; EO &gt; EC &gt; ER
/// (as rems-admin ranks them), and the note lists every reason with our code, so nothing is lost.
/// </summary>
public static class NcpdpMapping
{
    private static readonly string[] Priority = ["EM", "ES", "EO", "EC", "ER"];

    public static readonly IReadOnlyDictionary<string, string> Texts = new Dictionary<string, string>
    {
        ["EM"] = "Patient enrollment/certification requirements are not met",
        ["ES"] = "Prescriber enrollment/certification requirements are not met",
        ["EO"] = "Pharmacy enrollment/certification requirements are not met",
        ["EC"] = "Case information incomplete or invalid",
        ["ER"] = "REMS program error",
    };

    public static string Code(string reasonCode) => Requirements.Classify(reasonCode).NcpdpCode;

    /// <summary>All NCPDP codes a decision's failing reasons map to, most important first.</summary>
    public static IReadOnlyList<string> Codes(Decision d) =>
        d.IsAllowed ? [] : [.. d.Reasons.Select(r => Code(r.Code)).Distinct().OrderBy(c => Array.IndexOf(Priority, c))];

    public static string PrimaryCode(Decision d) => Codes(d).FirstOrDefault() ?? "ER";

    /// <summary>The REMSNote: every failing reason, with our code, within NCPDP's free-text length.</summary>
    public static string Note(Decision d)
    {
        var text = string.Join(" ", d.Reasons.Select(r => $"[{r.Code}] {r.Message}"));
        return text.Length <= 1000 ? text : text[..997] + "...";
    }
}
