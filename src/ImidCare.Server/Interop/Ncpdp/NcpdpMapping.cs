using ImidCare.Rules;
using ImidCare.Rules.Rems;
using ImidCare.Server.Interop.Fhir;

namespace ImidCare.Server.Interop.Ncpdp;

/// <summary>
/// Decision → NCPDP REMS reason code and note. The code of each failing reason comes from
/// <see cref="Requirements"/> (EM patient, ES prescriber, EO pharmacy, EC case/prescription,
/// ER anything else), except that a stakeholder the program deactivated (a reason code of
/// <see cref="Deactivation"/>) is EZ (patient), EX (prescriber) or EY (pharmacy). A message carries
/// one code: patient before prescriber before pharmacy (as rems-admin ranks EM &gt; ES &gt; EO), a
/// deactivation before the plain requirement of the same stakeholder, then EC, then ER. The note
/// lists every reason with our code, so nothing is lost.
/// </summary>
public static class NcpdpMapping
{
    private static readonly string[] Priority = ["EZ", "EM", "EX", "ES", "EY", "EO", "EC", "ER"];

    public static readonly IReadOnlyDictionary<string, string> Texts = new Dictionary<string, string>
    {
        ["EM"] = "Patient enrollment/certification requirements are not met",
        ["ES"] = "Prescriber enrollment/certification requirements are not met",
        ["EO"] = "Pharmacy enrollment/certification requirements are not met",
        ["EC"] = "Case information incomplete or invalid",
        ["ER"] = "REMS program error",
        ["EX"] = "Prescriber deactivated",
        ["EY"] = "Pharmacy deactivated",
        ["EZ"] = "Patient deactivated",
    };

    public static string Code(string reasonCode) => reasonCode switch
    {
        Deactivation.PatientCode => "EZ",
        Deactivation.PrescriberCode => "EX",
        Deactivation.PharmacyCode => "EY",
        _ => Requirements.Classify(reasonCode).NcpdpCode,
    };

    /// <summary>All NCPDP codes a decision's failing reasons map to, most important first.</summary>
    public static IReadOnlyList<string> Codes(Decision d) =>
        d.IsAllowed ? [] : [.. d.Reasons.Select(r => Code(r.Code)).Distinct().OrderBy(c => Array.IndexOf(Priority, c))];


    public static string PrimaryCode(Decision d) => Codes(d).FirstOrDefault() ?? "ER";

    /// <summary>The most important NCPDP code of failing reason codes (as stored in a DecisionDto).</summary>
    public static string PrimaryCode(IEnumerable<string> reasonCodes) =>
        reasonCodes.Select(Code).Distinct().OrderBy(c => Array.IndexOf(Priority, c)).FirstOrDefault() ?? "ER";

    /// <summary>The REMSNote: every failing reason, with our code, within NCPDP's free-text length.</summary>
    public static string Note(Decision d) => Note(d.Reasons.Select(r => (r.Code, r.Message)));

    public static string Note(IEnumerable<(string Code, string Message)> reasons)
    {
        var text = string.Join(" ", reasons.Select(r => $"[{r.Code}] {r.Message}"));
        return text.Length <= 1000 ? text : text[..997] + "...";
    }
}
