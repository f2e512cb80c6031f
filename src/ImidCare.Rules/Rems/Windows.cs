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
