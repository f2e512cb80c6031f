using ImidCare.Rules.Programs;

namespace ImidCare.Rules.Rems;

/// <summary>
/// The reasons a program's decisions give that depend on nothing but the program, made once per
/// program instead of once per decision (the decisions run on every pharmacy counter call).
/// </summary>
internal sealed class ProgramReasons(ProgramRules program)
{
    public ProgramRules Program { get; } = program;

    /// <summary>"REMS.DRUG_IN_PROGRAM", one per entry of <see cref="ProgramRules.Drugs"/>, named as the program names it.</summary>
    public Reason[] Covered { get; } =
        [.. program.Drugs.Select(d => new Reason("REMS.DRUG_IN_PROGRAM", $"{d} is covered by the {program.Name}.", program.Categories.Source))];

    public Reason SurveyNotNeededFirstRx { get; } =
        new("REMS.SURVEY_NOT_NEEDED_FIRST_RX", "No patient survey is needed for the first prescription.", program.PatientSurveyBeforeFirstPrescription.Source);

    public Reason FirstFill { get; } = new("REMS.FIRST_FILL", "No earlier fill on record.", program.NextFillWhenDaysRemainAtMost.Source);

    /// <summary>"REMS.DAYS_SUPPLY_OK" for each days supply the program allows (index = days; 0 unused).</summary>
    public Reason[] DaysSupplyOk { get; } =
        [.. Enumerable.Range(0, program.MaxDaysSupply.Value + 1).Select(d => new Reason("REMS.DAYS_SUPPLY_OK", $"{d} days supply.", program.MaxDaysSupply.Source))];

    public Reason NoRefills { get; } = new("REMS.NO_REFILLS", "No refills.", program.MaxRefills.Source);

    // The fixed parts of the validity sentence, around its dates (Fmt.Join):
    // "Valid {days} days from issue: through {end} ({zone})." and
    // "Valid {days} days from the last negative test ({day one} is day 1): through {end} ({zone})."
    public string ValidFromIssue { get; } = $"Valid {program.AuthorizationFromIssue.Value.Days} days from issue: through ";

    public string ValidFromLastTest { get; } = $"Valid {program.AuthorizationFromLastTest.Value.Days} days from the last negative test (";

    public string ValidZone { get; } = $" ({program.Zone.Id}).";
}
