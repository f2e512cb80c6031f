namespace ImidCare.Rules.Therapy;

public enum DoseAction
{
    Continue,
    Hold,
    Resume,
    Discontinue,
    ReferToPrescriber,
}

/// <summary>
/// The answer to "what dose now?". <see cref="DoseMg"/> and <see cref="DoseDays"/> are set for
/// Continue and Resume. While holding, <see cref="HoldingFor"/> names the rule to pass back in and
/// <see cref="ResumeWhenAtLeast"/> the count that clears it.
/// </summary>
public sealed record DoseAdvice(
    DoseAction Action,
    decimal? DoseMg,
    string? DoseDays,
    string? HoldingFor,
    int? ResumeWhenAtLeast,
    Decision Decision)
{
    public bool UsesUnverifiedRules => Decision.UsesUnverifiedRules;
}
