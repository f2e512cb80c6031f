using System.Collections.Immutable;

namespace ImidCare.Rules.Therapy;

/// <summary>
/// One partner-drug row of a regimen: which agent, how much, on which days of which cycles,
/// for which age band. A regimen holds several rows when the schedule changes by cycle.
/// </summary>
public sealed record PartnerSchedule(
    string Agent,
    string Dose,
    int FromCycle,
    int? ToCycle,
    ImmutableArray<int> Days,
    AgeBand Age,
    RuleSource Source)
{
    public bool AppliesTo(int cycle, int ageYears) =>
        cycle >= FromCycle && (ToCycle is null || cycle <= ToCycle) && Age.Matches(ageYears);
}

/// <summary>
/// A labelled (or explicitly unlabelled) regimen. <see cref="InUsLabel"/> false means the engine
/// can calendar it but every answer says it is not a US-labelled use.
/// </summary>
public sealed record Regimen(
    string Id,
    string Name,
    Drug Drug,
    Indication Indication,
    decimal StartDoseMg,
    int CycleLengthDays,
    ImmutableArray<int> DoseDays,
    int? MaxCycles,
    ImmutableArray<PartnerSchedule> Partners,
    bool InUsLabel,
    string? Note,
    RuleSource Source)
{
    public Reason AsReason() => new(
        InUsLabel ? "REGIMEN" : "REGIMEN_NOT_US_LABEL",
        InUsLabel ? $"{Name}: {StartDoseMg} mg on days {DaysText(DoseDays)} of a {CycleLengthDays}-day cycle."
                  : $"{Name} is not in a US label; schedule from trial publications.",
        Source);

    internal static string DaysText(ImmutableArray<int> days) =>
        days.Length > 2 && days[^1] - days[0] == days.Length - 1 ? $"{days[0]}-{days[^1]}" : string.Join(",", days);
}
