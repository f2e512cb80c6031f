using System.Collections.Immutable;
using ImidCare.Rules.Therapy;
using NodaTime;

namespace ImidCare.Rules.Calendar;

public enum MissedDoseAction
{
    /// <summary>The usual dose time has not come yet.</summary>
    NotYetDue,

    /// <summary>Within the window: take it now.</summary>
    TakeNow,

    /// <summary>Past the window: skip, take the next dose at the usual time, never two at once.</summary>
    SkipAndTakeNextAtUsualTime,

    /// <summary>Already taken today: do not take another.</summary>
    AlreadyTaken,
}

public sealed record MissedDoseRule(Drug Drug, Duration Window, RuleSource Source);

public sealed record MissedDoseAdvice(MissedDoseAction Action, LocalDate DoseDate, Instant UsualDoseInstant, Instant LatestCatchUp, Duration Late, string PatientMessage, Decision Decision);

/// <summary>
/// The 12-hour rule. The window is measured in elapsed time from the usual dose instant in the
/// patient's zone, so across a DST change it is still 12 real hours (the wall-clock deadline moves).
/// "Less than 12 hours: take"; "more than 12 hours: skip"; exactly 12 h is silent in the labels and
/// is treated as take (the brief's "≤ 12 h").
/// </summary>
public static class MissedDose
{
    public static readonly Duration Window = Duration.FromHours(12);

    public static readonly ImmutableArray<MissedDoseRule> Rules =
    [
        new(Drug.Pomalidomide, Window, Sources.Verified("POMALYST Medication Guide / pomalyst.com dosing (clinical-rules §1.2)", "L-V")),
        new(Drug.Lenalidomide, Window, Sources.Unverified("REVLIMID Medication Guide missed dose (clinical-rules §2.2)", "K")),
        new(Drug.Thalidomide, Window, Sources.Verified("THALOMID PI missed dose (pdr.net; clinical-rules §3.1)", "L-S")),
    ];

    /// <summary>
    /// Evaluates the most recent usual dose time at or before <paramref name="now"/> (today's if it
    /// has passed, else yesterday's). The caller checks <see cref="MissedDoseAdvice.DoseDate"/> is a dose day.
    /// </summary>
    public static MissedDoseAdvice EvaluateLatest(Drug drug, LocalTime usualTime, DateTimeZone zone, Instant now, bool alreadyTaken = false)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var today = now.InZone(zone).Date;
        var todays = today.At(usualTime).InZoneLeniently(zone).ToInstant();
        return Evaluate(drug, todays <= now ? today : today.PlusDays(-1), usualTime, zone, now, alreadyTaken);
    }

    public static MissedDoseAdvice Evaluate(Drug drug, LocalDate doseDate, LocalTime usualTime, DateTimeZone zone, Instant now, bool alreadyTaken = false)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var rule = Rules.First(r => r.Drug == drug);
        // A usual time inside a spring-forward gap maps to the first valid instant after it.
        var usual = doseDate.At(usualTime).InZoneLeniently(zone).ToInstant();
        var deadline = usual + rule.Window;
        var late = now - usual;
        var reason = new Reason("MISSED_DOSE_12H", "Take a missed dose if no more than 12 hours late; otherwise skip it. Never take two doses at once.", rule.Source);

        if (alreadyTaken)
        {
            return new MissedDoseAdvice(MissedDoseAction.AlreadyTaken, doseDate, usual, deadline, late,
                "You already took today's dose. Do not take another.", Decision.Deny(reason));
        }

        if (late < Duration.Zero)
        {
            return new MissedDoseAdvice(MissedDoseAction.NotYetDue, doseDate, usual, deadline, late,
                "It is not yet time for this dose.", Decision.HoldFor(reason));
        }

        if (late <= rule.Window)
        {
            return new MissedDoseAdvice(MissedDoseAction.TakeNow, doseDate, usual, deadline, late,
                "Take your missed dose now, then take the next one at your usual time.", Decision.Allow(reason));
        }

        return new MissedDoseAdvice(MissedDoseAction.SkipAndTakeNextAtUsualTime, doseDate, usual, deadline, late,
            "It has been more than 12 hours. Skip the missed dose and take the next one at your usual time. Do not take two doses at once.",
            Decision.Deny(reason));
    }
}
