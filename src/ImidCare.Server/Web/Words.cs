using ImidCare.Rules.Rems;
using NodaTime;
using NodaTime.Text;

namespace ImidCare.Server.Web;

/// <summary>How values read on a page: categories, dates and hold clearances in plain words.</summary>
public static class Words
{
    private static readonly LocalDatePattern DayPattern = LocalDatePattern.CreateWithInvariantCulture("ddd d MMM yyyy");

    public static string Category(RiskCategory c) => c switch
    {
        RiskCategory.AdultFemaleCanGetPregnant => "Adult female who can get pregnant",
        RiskCategory.AdultFemaleCannotGetPregnant => "Adult female who cannot get pregnant",
        RiskCategory.FemaleChildCanGetPregnant => "Female child who can get pregnant",
        RiskCategory.FemaleChildCannotGetPregnant => "Female child who cannot get pregnant",
        RiskCategory.AdultMale => "Adult male",
        RiskCategory.MaleChild => "Male child",
        RiskCategory.CanGetPregnant => "Can get pregnant",
        _ => "Cannot get pregnant",
    };

    public static string Category(string c) => Enum.TryParse<RiskCategory>(c, true, out var v) ? Category(v) : c;

    public static string Day(LocalDate d) => DayPattern.Format(d);

    public static string Day(LocalDate? d) => d is { } v ? Day(v) : "—";

    /// <summary>An IMWG response category as clinicians write it: the words and the abbreviation.</summary>
    public static string Response(Rules.Response.ResponseCategory c) => c switch
    {
        Rules.Response.ResponseCategory.StringentCompleteResponse => "stringent complete response (sCR)",
        Rules.Response.ResponseCategory.CompleteResponse => "complete response (CR)",
        Rules.Response.ResponseCategory.VeryGoodPartialResponse => "very good partial response (VGPR)",
        Rules.Response.ResponseCategory.PartialResponse => "partial response (PR)",
        Rules.Response.ResponseCategory.MinimalResponse => "minimal response (MR)",
        Rules.Response.ResponseCategory.StableDisease => "stable disease (SD)",
        _ => "progressive disease (PD)",
    };

    public static string When(Instant i, DateTimeZone zone) => $"{Day(i.InZone(zone).Date)} {i.InZone(zone).TimeOfDay:HH:mm}";

    /// <summary>A patient survey that is not due, in words: when it was done, or why none is needed yet.</summary>
    public static string SurveyNotDue(Rems.SurveyStatusDto s) =>
        s.LastCompleted is { } d ? $"done {Day(d)}"
        : s.Decision.Reasons.Any(r => r.Code == "REMS.SURVEY_NOT_NEEDED") ? "none in this category"
        : s.Decision.Reasons.Any(r => r.Code == "REMS.SURVEY_NOT_NEEDED_FIRST_RX") ? "not needed before the first prescription"
        : s.Decision.Reasons.Select(r => r.Message).FirstOrDefault() ?? "not due";

    /// <summary>"1 capsule", "2 capsules".</summary>
    public static string Capsules(int n) => n == 1 ? "1 capsule" : $"{n} capsules";

    /// <summary>A moment with its zone named, for deadlines a reader may be in another zone for.</summary>
    public static string WhenIn(Instant i, DateTimeZone zone) => $"{When(i, zone)} ({zone.Id})";

    /// <summary>The pre-start tests the authorization would still ask for, in the rules' own words.</summary>
    public static string Missing(Infrastructure.DecisionDto preStart) =>
        string.Join(" ", preStart.Reasons.Where(r => !r.Code.EndsWith("_MET", StringComparison.Ordinal)).Select(r => r.Message));

    /// <summary>Before a first prescription, for the office: authorized, the tests on file until when, or what is missing.</summary>
    public static string FirstPrescription(Rems.FirstPrescriptionDto fp, DateTimeZone zone) =>
        fp.Authorized ? "pre-start tests done; the first prescription is authorized"
        : fp.AuthorizeBy is { } by ? $"pre-start tests on file: authorize the first prescription by {WhenIn(by, zone)}"
        : $"pre-start tests: {Missing(fp.PreStartTests)}";

    public static string Clears(IEnumerable<string> clearances) =>
        SurveyRules.Describe(clearances.Select(c => Enum.Parse<HoldClearance>(c, true)));

    /// <summary>The program's own name, from the rule data (the POMALYST REMS is now the PS-Pomalidomide REMS, facts §1).</summary>
    public static string Program(string id) => id is "POM" or "LEN" or "THAL" && Rules.Programs.ProgramCatalog.Find(id) is { } p ? p.Name : id;

    public static string Drug(string programId) => programId switch
    {
        "POM" => "pomalidomide",
        "LEN" => "lenalidomide",
        "THAL" => "thalidomide",
        _ => programId.ToLowerInvariant(),
    };
}
