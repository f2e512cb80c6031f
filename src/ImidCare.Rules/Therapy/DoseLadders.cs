using System.Collections.Immutable;

namespace ImidCare.Rules.Therapy;

/// <summary>A dose level: milligrams once daily on days DayFrom-DayTo of the cycle.</summary>
public sealed record DoseLevel(decimal Mg, int DayFrom, int DayTo)
{
    /// <summary>Orders levels by exposure so "5 mg days 1-21" sits below "5 mg days 1-28".</summary>
    public decimal Intensity => Mg * (DayTo - DayFrom + 1);

    public string DaysText => $"days {DayFrom}-{DayTo}";
}

/// <summary>What happens when a reduction is needed below the last level.</summary>
public enum FloorBehavior
{
    /// <summary>"Permanently discontinue if unable to tolerate 1 mg" (POMALYST).</summary>
    DiscontinueBelowFloor,

    /// <summary>"Do not dose below ..." (REVLIMID): resume at the floor.</summary>
    StayAtFloor,

    /// <summary>The next step is not confirmed by any source: the prescriber decides.</summary>
    ReferBelowFloor,
}

public sealed record DoseLadder(string Id, Drug Drug, Indication Indication, ImmutableArray<DoseLevel> Levels, FloorBehavior Floor, RuleSource Source)
{
    public DoseLevel FloorLevel => Levels[^1];

    /// <summary>The next level strictly below the current exposure, or null when already at or below the floor.</summary>
    public DoseLevel? NextLower(decimal currentMg, int? currentDayTo = null)
    {
        var current = currentMg * ((currentDayTo ?? Levels[0].DayTo) - Levels[0].DayFrom + 1);
        foreach (var level in Levels)
        {
            if (level.Intensity < current)
            {
                return level;
            }
        }

        return null;
    }
}

/// <summary>Step-down ladders (clinical-rules §1.2, §2.3; addendum A, C).</summary>
public static class DoseLadders
{
    private static ImmutableArray<DoseLevel> Daily(int dayTo, params decimal[] mg) => [.. mg.Select(m => new DoseLevel(m, 1, dayTo))];

    public static readonly ImmutableArray<DoseLadder> All =
    [
        new("pom-mm", Drug.Pomalidomide, Indication.MultipleMyeloma, Daily(21, 4m, 3m, 2m, 1m), FloorBehavior.DiscontinueBelowFloor,
            Sources.Verified("POMALYST PI §2.4 Table 1 footnote 'Permanently discontinue if unable to tolerate 1 mg' (pomalysthcp.com)", "L-V")),

        // "1 mg less" and the 1 mg floor for KS are inferred from label structure (clinical-rules §1.2).
        new("pom-ks", Drug.Pomalidomide, Indication.KaposiSarcoma, Daily(21, 5m, 4m, 3m, 2m, 1m), FloorBehavior.DiscontinueBelowFloor,
            Sources.Unverified("POMALYST PI §2.4 Table 2 KS ladder (clinical-rules §1.2; §9 item 4)", "K")),

        // The US label says only "next lower dose", floor 2.5 mg; the ladder itself is PARTIAL (addendum C).
        new("len-mm", Drug.Lenalidomide, Indication.MultipleMyeloma, Daily(21, 25m, 20m, 15m, 10m, 5m, 2.5m), FloorBehavior.StayAtFloor,
            Sources.Unverified("REVLIMID PI Table 1 'next lower dose ... not below 2.5 mg'; ladder from capsule strengths (addendum C: PARTIAL)", "K")),

        // Floor 5 mg days 1-21 is CORRECTED in addendum C; the intermediate steps are [K].
        new("len-maint", Drug.Lenalidomide, Indication.MultipleMyelomaMaintenance,
            [new(15m, 1, 28), new(10m, 1, 28), new(5m, 1, 28), new(5m, 1, 21)], FloorBehavior.StayAtFloor,
            Sources.Unverified("REVLIMID PI maintenance table; floor 5 mg days 1-21 per revlimidhcp.com (addendum C), steps [K]", "K")),

        new("len-mcl", Drug.Lenalidomide, Indication.MantleCellLymphoma, Daily(21, 25m, 20m, 15m, 10m, 5m), FloorBehavior.StayAtFloor,
            Sources.Unverified("REVLIMID PI MCL table (clinical-rules §2.3; addendum C: STILL UNCONFIRMED)", "K")),

        new("len-fl", Drug.Lenalidomide, Indication.FollicularOrMarginalZoneLymphoma, Daily(21, 20m, 15m, 10m, 5m), FloorBehavior.StayAtFloor,
            Sources.Unverified("REVLIMID PI FL/MZL table (clinical-rules §2.3; addendum C: STILL UNCONFIRMED)", "K")),

        // The step below 5 mg (2.5 mg daily vs 5 mg every other day) is unconfirmed: do not implement without a source (addendum C).
        new("len-mds", Drug.Lenalidomide, Indication.MyelodysplasticSyndromes, Daily(28, 10m, 5m), FloorBehavior.ReferBelowFloor,
            Sources.Unverified("REVLIMID PI MDS table (addendum C: PARTIAL; step below 5 mg STILL UNCONFIRMED)", "K")),
    ];

    public static DoseLadder? For(Drug drug, Indication indication) =>
        All.FirstOrDefault(l => l.Drug == drug && l.Indication == indication);
}
