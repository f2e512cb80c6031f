using System.Collections.Immutable;
using ImidCare.Rules.Therapy;

namespace ImidCare.Rules.Response;

public enum LabTerm
{
    NeutrophilCountDecreased,
    PlateletCountDecreased,
    Anemia,
}

/// <summary>
/// A grade band: value in [AtLeast, Below). Null AtLeast = no lower bound; null Below = the
/// lab's lower limit of normal (grade 1 starts below LLN). Units: cells/mm3 for counts, g/dL for hemoglobin.
/// </summary>
public sealed record CtcaeBand(LabTerm Term, int Grade, decimal? AtLeast, decimal? Below, string Unit, string Text);

public sealed record CtcaeGrade(LabTerm Term, int Grade, string Version, string Text, Decision Decision);

/// <summary>
/// CTCAE v5.0 laboratory grading (clinical-rules §8.1). Version pinned: v6.0 shifts neutrophil
/// and platelet grades (§8.3), so grades are never compared across versions. Label dose rules use
/// absolute counts, not these grades.
/// </summary>
public static class Ctcae
{
    public const string Version = "CTCAE v5.0";

    public static readonly RuleSource Source = Sources.Verified("NCI CTCAE v5.0 (27 Nov 2017), clinical-rules §8.1", "L-S");

    public static readonly ImmutableArray<CtcaeBand> Bands =
    [
        new(LabTerm.NeutrophilCountDecreased, 1, 1500m, null, "/mm3", "<LLN - 1,500/mm3"),
        new(LabTerm.NeutrophilCountDecreased, 2, 1000m, 1500m, "/mm3", "<1,500 - 1,000/mm3"),
        new(LabTerm.NeutrophilCountDecreased, 3, 500m, 1000m, "/mm3", "<1,000 - 500/mm3"),
        new(LabTerm.NeutrophilCountDecreased, 4, null, 500m, "/mm3", "<500/mm3"),

        new(LabTerm.PlateletCountDecreased, 1, 75000m, null, "/mm3", "<LLN - 75,000/mm3"),
        new(LabTerm.PlateletCountDecreased, 2, 50000m, 75000m, "/mm3", "<75,000 - 50,000/mm3"),
        new(LabTerm.PlateletCountDecreased, 3, 25000m, 50000m, "/mm3", "<50,000 - 25,000/mm3"),
        new(LabTerm.PlateletCountDecreased, 4, null, 25000m, "/mm3", "<25,000/mm3"),

        // Grade 4 anemia is "life-threatening consequences", not a number: the lab value alone tops out at grade 3.
        new(LabTerm.Anemia, 1, 10.0m, null, "g/dL", "Hgb <LLN - 10.0 g/dL"),
        new(LabTerm.Anemia, 2, 8.0m, 10.0m, "g/dL", "Hgb <10.0 - 8.0 g/dL"),
        new(LabTerm.Anemia, 3, null, 8.0m, "g/dL", "Hgb <8.0 g/dL"),
    ];

    /// <summary>Grades a value against the lab's lower limit of normal. Grade 0 means at or above LLN.</summary>
    public static CtcaeGrade Grade(LabTerm term, decimal value, decimal lowerLimitOfNormal)
    {
        if (value < 0)
        {
            throw new ArgumentException("Lab value cannot be negative.", nameof(value));
        }

        if (lowerLimitOfNormal <= 0)
        {
            throw new ArgumentException("lowerLimitOfNormal must be positive.", nameof(lowerLimitOfNormal));
        }

        if (value >= lowerLimitOfNormal)
        {
            return new CtcaeGrade(term, 0, Version, "Within normal limits", Decision.Allow(new Reason("CTCAE_G0", $"{term} grade 0 ({Version}).", Source)));
        }

        foreach (var band in Bands.Where(b => b.Term == term))
        {
            var upper = band.Below ?? lowerLimitOfNormal;
            if ((band.AtLeast is null || value >= band.AtLeast) && value < upper)
            {
                return new CtcaeGrade(term, band.Grade, Version, band.Text,
                    Decision.Allow(new Reason($"CTCAE_G{band.Grade}", $"{term} grade {band.Grade}: {band.Text} ({Version}).", Source)));
            }
        }

        // Below LLN but above the grade 1 floor can only happen when the lab's LLN is itself below that floor.
        return new CtcaeGrade(term, 0, Version, "Below LLN but above the grade 1 range", Decision.Allow(new Reason("CTCAE_G0", $"{term} not graded ({Version}).", Source)));
    }

    /// <summary>Febrile neutropenia (grade 3 minimum): ANC &lt; 1,000/mm3 and a single temperature &gt; 38.3 C or a sustained &gt;= 38 C for more than one hour.</summary>
    public static bool IsFebrileNeutropenia(int anc, decimal temperatureC, bool sustainedOverOneHour) =>
        anc < 1000 && (temperatureC > 38.3m || (sustainedOverOneHour && temperatureC >= 38.0m));
}
