using NodaTime;

namespace ImidCare.Rules.Rems;

/// <summary>
/// A window of whole calendar days in the program's time zone. Day 1 is the anchor date itself
/// (the convention iPLEDGE states for its 7-day window: "Day 1 is the specimen collection date;
/// add 6 days"); the window ends at the end of day <see cref="Days"/>, i.e. before midnight that
/// begins day Days+1 in the program's zone. Both ends are inclusive, as in NodaTime's DateInterval.
/// </summary>
public sealed record DayWindow(int Days)
{
    public int Days { get; } = Days > 0 ? Days : throw new ArgumentOutOfRangeException(nameof(Days), "A window has at least one day.");

    public DateInterval From(LocalDate dayOne) => new(dayOne, dayOne.PlusDays(Days - 1));

    public LocalDate LastDay(LocalDate dayOne) => dayOne.PlusDays(Days - 1);

    /// <summary>The instant the window closes: the start of the day after its last day, in the zone.</summary>
    public Instant ClosesAt(LocalDate dayOne, DateTimeZone zone) => zone.AtStartOfDay(LastDay(dayOne).PlusDays(1)).ToInstant();
}

/// <summary>The program's clock: turns an instant into the program's calendar date.</summary>
public static class ProgramTime
{
    public static LocalDate Today(Instant now, DateTimeZone zone) => now.InZone(zone).Date;
}

/// <summary>
/// ISO renderings for the sentences in reasons. Written out by hand because NodaTime's pattern
/// formatting dominated the cost of a decision on the pharmacy's hot path.
/// </summary>
public static class Fmt
{
    public static string Date(LocalDate d) => string.Create(10, d, static (span, d) =>
    {
        d.Year.TryFormat(span[..4], out _, "D4", System.Globalization.CultureInfo.InvariantCulture);
        span[4] = '-';
        d.Month.TryFormat(span[5..7], out _, "D2", System.Globalization.CultureInfo.InvariantCulture);
        span[7] = '-';
        d.Day.TryFormat(span[8..10], out _, "D2", System.Globalization.CultureInfo.InvariantCulture);
    });

    /// <summary>"yyyy-MM-dd HH:mm" in the zone.</summary>
    public static string DateTime(Instant i, DateTimeZone zone)
    {
        var local = i.InZone(zone).LocalDateTime;
        return string.Create(16, local, static (span, t) =>
        {
            Date(t.Date).AsSpan().CopyTo(span);
            span[10] = ' ';
            t.Hour.TryFormat(span[11..13], out _, "D2", System.Globalization.CultureInfo.InvariantCulture);
            span[13] = ':';
            t.Minute.TryFormat(span[14..16], out _, "D2", System.Globalization.CultureInfo.InvariantCulture);
        });
    }
}
