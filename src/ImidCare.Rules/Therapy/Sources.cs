namespace ImidCare.Rules.Therapy;

/// <summary>
/// Source citations shared by the therapy tables. Evidence tags follow clinical-rules.md §0.2;
/// anything the verification addendum calls PARTIAL or STILL UNCONFIRMED, and every [K] row,
/// is built with <see cref="RuleSource.UnverifiedRule"/> so the flag reaches the answer.
/// </summary>
public static class Sources
{
    public const string Rules = "clinical-rules.md";
    public const string Addendum = "verification-addendum.md";

    public static RuleSource Verified(string section, string evidence) => RuleSource.Verified(section, evidence);

    public static RuleSource Unverified(string section, string evidence) => RuleSource.UnverifiedRule(section, evidence);

    public static Reason Reason(string code, string message, RuleSource source) => new(code, message, source);
}
