using System.Collections.Immutable;
using NodaTime;

namespace ImidCare.Rules.Calendar;

public enum DayKind
{
    /// <summary>A scheduled IMiD dose.</summary>
    Dose,

    /// <summary>A scheduled rest day of the cycle (e.g. days 22-28).</summary>
    Rest,

    /// <summary>A day inside a hold: no IMiD dose, and none is made up later.</summary>
    Held,
}

public sealed record PartnerDose(string Agent, string Dose, bool DuringImidHold);

/// <summary>One calendar day. Cycle is 1-based; CycleDay is the label's "Day n".</summary>
public sealed record CalendarDay(
    LocalDate Date,
    int Cycle,
    int CycleDay,
    DayKind Kind,
    decimal? DoseMg,
    bool TakeAfterDialysis,
    ImmutableArray<PartnerDose> Partners)
{
    public bool IsCycleStart => CycleDay == 1;
}

/// <summary>The calendar for a plan over a date range, with the decision that explains its rules.</summary>
public sealed record TreatmentCalendar(
    string RegimenId,
    LocalDate From,
    LocalDate Through,
    ImmutableArray<CalendarDay> Days,
    Decision Basis)
{
    public IEnumerable<CalendarDay> DoseDays => Days.Where(d => d.Kind == DayKind.Dose);

    public IEnumerable<LocalDate> CycleStarts => Days.Where(d => d.IsCycleStart).Select(d => d.Date);
}
