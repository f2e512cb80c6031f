using System.Collections.Immutable;
using ImidCare.Rules.Therapy;
using NodaTime;

namespace ImidCare.Rules.Calendar;

/// <summary>Something due on a date: a lab, an exam, a pregnancy test merged in from the REMS side.</summary>
public sealed record DueItem(LocalDate Date, string Kind, string Description, Decision Basis);

/// <summary>
/// One phase of a schedule: tests every <see cref="Interval"/> from the phase start, for
/// <see cref="Span"/> (null = until the end of the range). A null Interval is a gap with no tests.
/// The next phase starts where this one's span ends.
/// </summary>
public sealed record MonitoringPhase(Period? Interval, Period? Span);

/// <summary>A monitoring row. Indication null applies to every indication of the drug.</summary>
public sealed record MonitoringRule(
    string Id,
    Drug Drug,
    Indication? Indication,
    string Kind,
    string Description,
    ImmutableArray<MonitoringPhase> Phases,
    bool OnlyIfHivPositive,
    RuleSource Source);

/// <summary>Monitoring rows (clinical-rules §1.9, §2.6, §3.2; addendum B, C). Each window is defined here once.</summary>
public static class MonitoringRules
{
    private static readonly Period Week = Period.FromWeeks(1);
    private static readonly Period TwoWeeks = Period.FromWeeks(2);
    private static readonly Period Month = Period.FromMonths(1);

    /// <summary>"Weekly for the first 8 weeks, then monthly."</summary>
    public static readonly ImmutableArray<MonitoringPhase> WeeklyFor8WeeksThenMonthly =
        [new(Week, Period.FromWeeks(8)), new(Month, null)];

    /// <summary>Lenalidomide MM: weekly for cycles 1-2, days 1 and 15 of cycle 3, then every 28 days [K].</summary>
    public static readonly ImmutableArray<MonitoringPhase> LenalidomideMmCbc =
        [new(Week, Period.FromWeeks(8)), new(TwoWeeks, Period.FromWeeks(4)), new(Period.FromDays(28), null)];

    public static readonly ImmutableArray<MonitoringRule> All =
    [
        new("pom-mm-cbc", Drug.Pomalidomide, Indication.MultipleMyeloma, "CBC", "Complete blood count",
            WeeklyFor8WeeksThenMonthly, false,
            Sources.Verified("POMALYST PI §5.5; pomalyst.com (addendum B: CONFIRMED)", "L-V")),

        // Davis Drug Guide only (addendum B: PARTIAL).
        new("pom-ks-cbc", Drug.Pomalidomide, Indication.KaposiSarcoma, "CBC", "Complete blood count",
            [new(TwoWeeks, Period.FromWeeks(12)), new(Month, null)], false,
            Sources.Unverified("POMALYST PI §5.5 KS via Davis Drug Guide (addendum B: PARTIAL)", "L-S")),

        new("pom-lft", Drug.Pomalidomide, null, "LFT", "Liver function tests",
            [new(Month, null)], false,
            Sources.Verified("POMALYST PI §5.6 'monitor liver function tests monthly' (addendum B: CONFIRMED)", "L-V")),

        new("len-mds-cbc", Drug.Lenalidomide, Indication.MyelodysplasticSyndromes, "CBC", "Complete blood count",
            WeeklyFor8WeeksThenMonthly, false,
            Sources.Verified("REVLIMID PI boxed warning / §5.3 (addendum C: MDS CONFIRMED)", "L-V")),

        // [K]; addendum C: MM schedule STILL UNCONFIRMED.
        new("len-mm-cbc", Drug.Lenalidomide, Indication.MultipleMyeloma, "CBC", "Complete blood count",
            LenalidomideMmCbc, false,
            Sources.Unverified("REVLIMID PI §5.3 MM (clinical-rules §2.6; addendum C: STILL UNCONFIRMED)", "K")),

        new("len-maint-cbc", Drug.Lenalidomide, Indication.MultipleMyelomaMaintenance, "CBC", "Complete blood count",
            LenalidomideMmCbc, false,
            Sources.Unverified("REVLIMID PI §5.3 maintenance (clinical-rules §2.6; addendum C: STILL UNCONFIRMED)", "K")),

        new("len-mcl-cbc", Drug.Lenalidomide, Indication.MantleCellLymphoma, "CBC", "Complete blood count",
            [new(Week, Period.FromWeeks(4)), new(TwoWeeks, Period.FromWeeks(12)), new(Month, null)], false,
            Sources.Unverified("REVLIMID PI §5.3 MCL (clinical-rules §2.6; addendum C: STILL UNCONFIRMED)", "K")),

        // Weekly for the first 3 weeks of cycle 1, nothing in week 4, every 2 weeks in cycles 2-4, then monthly.
        new("len-fl-cbc", Drug.Lenalidomide, Indication.FollicularOrMarginalZoneLymphoma, "CBC", "Complete blood count",
            [new(Week, Period.FromWeeks(3)), new(null, Period.FromWeeks(1)), new(TwoWeeks, Period.FromWeeks(12)), new(Month, null)], false,
            Sources.Unverified("REVLIMID PI §5.3 FL/MZL (clinical-rules §2.6; addendum C: STILL UNCONFIRMED)", "K")),

        // "Before start and during therapy" without a cadence: only the baseline is scheduled.
        new("len-thyroid", Drug.Lenalidomide, null, "THYROID", "Thyroid function (baseline; repeat during therapy as directed)",
            [new(Period.FromDays(1), Period.FromDays(1))], false,
            Sources.Unverified("REVLIMID PI W&P thyroid disorders (clinical-rules §2.6; addendum C: STILL UNCONFIRMED)", "K")),

        new("thal-neuro", Drug.Thalidomide, null, "NEURO_EXAM", "Peripheral neuropathy examination",
            [new(Month, Period.FromMonths(3))], false,
            Sources.Unverified("THALOMID PI §5 neuropathy (clinical-rules §3.2; addendum D: STILL UNCONFIRMED)", "K")),

        // After the 1st and 3rd months, then every 3 months.
        new("thal-hiv-vl", Drug.Thalidomide, null, "HIV_VIRAL_LOAD", "HIV viral load",
            [new(null, Period.FromMonths(1)), new(Period.FromMonths(2), Period.FromMonths(3)), new(null, Period.FromMonths(2)), new(Period.FromMonths(3), null)], true,
            Sources.Unverified("THALOMID PI HIV viral load (clinical-rules §3.2)", "K")),
    ];

    public static IEnumerable<MonitoringRule> For(Drug drug, Indication indication, bool hivPositive) =>
        All.Where(r => r.Drug == drug && (r.Indication is null || r.Indication == indication) && (!r.OnlyIfHivPositive || hivPositive));
}

/// <summary>Builds the merged "what is due when" list.</summary>
public static class MonitoringSchedule
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Decision> Bases = new(StringComparer.Ordinal);

    public static ImmutableArray<DueItem> Build(
        Drug drug, Indication indication, LocalDate start, LocalDate through, bool hivPositive = false, IEnumerable<DueItem>? extra = null)
    {
        if (through < start)
        {
            throw new ArgumentException($"'through' ({through}) is before start ({start}).", nameof(through));
        }

        var items = new List<DueItem>();
        foreach (var rule in MonitoringRules.For(drug, indication, hivPositive))
        {
            var basis = Bases.GetOrAdd(rule.Id, _ => Decision.Allow(new Reason("MONITOR_" + rule.Kind, $"{rule.Description}: {Describe(rule.Phases)}.", rule.Source)));
            foreach (var date in Dates(rule.Phases, start, through))
            {
                items.Add(new DueItem(date, rule.Kind, rule.Description, basis));
            }
        }

        if (extra is not null)
        {
            items.AddRange(extra.Where(e => e.Date >= start && e.Date <= through));
        }

        items.Sort(static (a, b) => a.Date != b.Date ? a.Date.CompareTo(b.Date) : string.CompareOrdinal(a.Kind, b.Kind));
        var result = ImmutableArray.CreateBuilder<DueItem>(items.Count);
        foreach (var item in items)
        {
            // One item per (date, kind): a REMS-side item on the same day as a scheduled one is the same visit.
            if (result.Count == 0 || result[^1].Date != item.Date || result[^1].Kind != item.Kind)
            {
                result.Add(item);
            }
        }

        return result.ToImmutable();
    }

    /// <summary>Expands phases into dates; public so the edges of each window can be tested directly.</summary>
    public static IEnumerable<LocalDate> Dates(ImmutableArray<MonitoringPhase> phases, LocalDate start, LocalDate through)
    {
        // Phases apply in sequence, but adjacent month-based pieces are added in one step so month-end
        // dates do not drift (Jan 31 + 1 month + 2 months = Apr 30, not Apr 28), while "8 weeks, then
        // monthly" still counts months from the end of week 8.
        var anchor = start;
        var pendingMonths = 0;
        foreach (var phase in phases)
        {
            LocalDate? phaseEnd = phase.Span is null ? null : Offset(anchor, pendingMonths, phase.Span, 1);
            if (phase.Interval is { } interval)
            {
                for (var n = 0; ; n++)
                {
                    var d = Offset(anchor, pendingMonths, interval, n);
                    if (d > through || (phaseEnd is not null && d >= phaseEnd.Value))
                    {
                        break;
                    }

                    yield return d;
                }
            }

            if (phaseEnd is null || phaseEnd.Value > through)
            {
                yield break;
            }

            if (IsMonthly(phase.Span!))
            {
                pendingMonths += Months(phase.Span!);
            }
            else
            {
                anchor = phaseEnd.Value;
                pendingMonths = 0;
            }
        }
    }

    private static bool IsMonthly(Period p) => p.Weeks == 0 && p.Days == 0;

    private static int Months(Period p) => (p.Years * 12) + p.Months;

    /// <summary>anchor + pending months + n pieces; a month-based piece merges with the pending months.</summary>
    private static LocalDate Offset(LocalDate anchor, int pendingMonths, Period piece, int n) =>
        IsMonthly(piece)
            ? anchor.PlusMonths(pendingMonths + (Months(piece) * n))
            : anchor.PlusMonths(pendingMonths).PlusMonths(Months(piece) * n).PlusDays(((piece.Weeks * 7) + piece.Days) * n);

    private static string Describe(ImmutableArray<MonitoringPhase> phases) =>
        string.Join(", then ", phases.Where(p => p.Interval is not null).Select(p =>
            p.Span is null ? $"every {p.Interval} thereafter" : $"every {p.Interval} for {p.Span}"));
}
