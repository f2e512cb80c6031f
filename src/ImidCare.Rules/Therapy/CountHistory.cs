using NodaTime;

namespace ImidCare.Rules.Therapy;

/// <summary>One recorded blood count (per mcL); a null count was not measured.</summary>
public sealed record CountReading(LocalDate TakenOn, int? Anc, int? Platelets);

/// <summary>
/// What a patient's earlier counts say about a new one, for the <see cref="CountCheck"/> fields the
/// label rows depend on: how many earlier drops of the same kind there were ("each subsequent drop",
/// REVLIMID Table 1) and how long the ANC has been low ("for at least 7 days", MCL, FL/MZL, MDS).
/// Readings are taken in date order; the rows' own thresholds decide what counts as low and recovered.
/// </summary>
public static class CountHistory
{
    /// <summary>
    /// The two history fields of a <see cref="CountCheck"/> for <paramref name="drug"/> and
    /// <paramref name="indication"/>: the earlier drops of the row whose restart depends on them
    /// (the first drop resumes at the starting dose) and the days the ANC has been below the row
    /// that asks "for at least N days"; 0 where the drug and indication have no such row.
    /// </summary>
    public static (int PriorDrops, int AncLowDays) Of(Drug drug, Indication indication, IEnumerable<CountReading> earlier, LocalDate currentOn, int? currentAnc)
    {
        var readings = earlier.ToList();
        var rows = HematologicRules.For(drug, indication).ToList();
        var firstDrop = rows.FirstOrDefault(r => r.Resume == ResumeRule.StartingDoseIfOnlyToxicityElseNextLower);
        var days = rows.FirstOrDefault(r => r.LowForDays is not null);
        return (firstDrop is null ? 0 : CompletedEpisodes(firstDrop, readings), days is null ? 0 : AncDaysBelow(days.Below, readings, currentOn, currentAnc));
    }

    /// <summary>
    /// Earlier episodes of <paramref name="rule"/>'s trigger that are over: the count fell below the
    /// row's <see cref="HematologicRule.Below"/> and later came back to its
    /// <see cref="HematologicRule.ResumeAtOrAbove"/>. A drop still under way is not counted.
    /// </summary>
    public static int CompletedEpisodes(HematologicRule rule, IEnumerable<CountReading> earlier)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(earlier);
        var episodes = 0;
        var low = false;
        foreach (var r in earlier.OrderBy(r => r.TakenOn))
        {
            if ((rule.Trigger == CountKind.Platelets ? r.Platelets : r.Anc) is not { } value)
            {
                continue;
            }

            if (!low && value < rule.Below)
            {
                low = true;
            }
            else if (low && value >= rule.ResumeAtOrAbove)
            {
                low = false;
                episodes++;
            }
        }

        return episodes;
    }

    /// <summary>
    /// Days the ANC has been below <paramref name="below"/> without a reading at or above it, from the
    /// first low reading of the run to <paramref name="currentOn"/>; 0 when the current ANC is not low.
    /// </summary>
    public static int AncDaysBelow(int below, IEnumerable<CountReading> earlier, LocalDate currentOn, int? currentAnc)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        if (currentAnc is not { } now || now >= below)
        {
            return 0;
        }

        var first = currentOn;
        foreach (var r in earlier.Where(r => r.Anc is not null && r.TakenOn <= currentOn).OrderByDescending(r => r.TakenOn))
        {
            if (r.Anc >= below)
            {
                break;
            }

            first = r.TakenOn;
        }

        return Period.Between(first, currentOn, PeriodUnits.Days).Days;
    }
}
