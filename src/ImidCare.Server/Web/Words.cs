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

    public static string When(Instant i, DateTimeZone zone) => $"{Day(i.InZone(zone).Date)} {i.InZone(zone).TimeOfDay:HH:mm}";

    public static string Clears(IEnumerable<string> clearances) =>
        SurveyRules.Describe(clearances.Select(c => Enum.Parse<HoldClearance>(c, true)));

    public static string Program(string id) => id switch
    {
        "POM" => "Pomalidomide REMS",
        "LEN" => "Lenalidomide REMS",
        "THAL" => "THALOMID REMS",
        _ => id,
    };

    public static string Drug(string programId) => programId switch
    {
        "POM" => "pomalidomide",
        "LEN" => "lenalidomide",
        "THAL" => "thalidomide",
        _ => programId.ToLowerInvariant(),
    };
}
