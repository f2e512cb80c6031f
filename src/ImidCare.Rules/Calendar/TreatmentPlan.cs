using System.Collections.Immutable;
using ImidCare.Rules.Therapy;
using NodaTime;

namespace ImidCare.Rules.Calendar;

/// <summary>
/// An interruption of the IMiD. Days from <see cref="From"/> up to but not including
/// <see cref="ResumeOn"/> are held; a null ResumeOn is an open-ended hold. When a dose change
/// comes with the resumption (e.g. "1 mg less"), <see cref="ResumeDoseMg"/> carries it.
/// </summary>
public sealed record Hold(LocalDate From, LocalDate? ResumeOn, string Reason, decimal? ResumeDoseMg = null)
{
    public bool Covers(LocalDate date) => date >= From && (ResumeOn is null || date < ResumeOn.Value);
}

/// <summary>What the calendar needs about one patient's treatment.</summary>
public sealed record TreatmentPlan(
    string RegimenId,
    LocalDate Start,
    int AgeYears,
    decimal? DoseMg = null,
    ImmutableArray<Hold> Holds = default,
    ImmutableArray<LocalDate> DialysisDays = default,
    int DoseIntervalDays = 1)
{
    internal ImmutableArray<Hold> HoldsOrEmpty => Holds.IsDefault ? [] : Holds;

    internal ImmutableArray<LocalDate> DialysisDaysOrEmpty => DialysisDays.IsDefault ? [] : DialysisDays;
}
