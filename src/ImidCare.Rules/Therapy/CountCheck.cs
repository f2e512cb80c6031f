namespace ImidCare.Rules.Therapy;

/// <summary>
/// Labs and context for one hematologic check. Counts are per mcL (= per mm3). Set
/// <see cref="HoldingFor"/> to the rule id of an active hold to ask whether it can be lifted.
/// </summary>
public sealed record CountCheck(
    Drug Drug,
    Indication Indication,
    decimal CurrentDoseMg,
    int? Anc,
    int? Platelets,
    decimal? TemperatureC = null,
    bool FeverSustainedOverOneHour = false,
    int AncLowForDays = 0,
    bool IsCycleDay1 = false,
    bool IsFirstCycle = false,
    string? HoldingFor = null,
    bool NeutropeniaIsOnlyToxicity = true,
    int PriorNeutropeniaHolds = 0,
    decimal? StartingDoseMg = null,
    int? CurrentDayTo = null);
