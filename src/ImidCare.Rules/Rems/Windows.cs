using NodaTime;
using NodaTime.Text;

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
    public static string Date(LocalDate d) => Fixed(d) ? string.Create(10, d, static (span, d) => WriteDate(span, d)) : LocalDatePattern.Iso.Format(d);

    /// <summary>
    /// Whether the date is written in exactly ten characters by <see cref="WriteDate"/>: years 1–9999.
    /// NodaTime's calendar reaches year −9998 and its ISO pattern writes such years with a sign; a
    /// year the hand-written path cannot write goes through the pattern instead of coming out wrong.
    /// </summary>
    private static bool Fixed(LocalDate d) => d.Year is >= 1 and <= 9999;

    /// <summary>
    /// The date as it goes into an interpolated sentence: written straight into the sentence's
    /// buffer, without a string of its own (the decisions' sentences are built on every counter call).
    /// </summary>
    public static IsoDate Iso(LocalDate d) => new(d);

    public readonly struct IsoDate(LocalDate date) : ISpanFormattable
    {
        public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
        {
            if (!Fixed(date))
            {
                var text = Date(date);
                charsWritten = text.TryCopyTo(destination) ? text.Length : 0;
                return charsWritten > 0;
            }

            if (destination.Length < 10)
            {
                charsWritten = 0;
                return false;
            }

            WriteDate(destination, date);
            charsWritten = 10;
            return true;
        }

        public string ToString(string? format, IFormatProvider? formatProvider) => Date(date);

        public override string ToString() => Date(date);
    }

    /// <summary>
    /// <paramref name="before"/>, the date, <paramref name="after"/> as one string of exactly its
    /// size: an interpolated sentence goes through a rented buffer and a copy, and these sentences
    /// are built on every prescriber call.
    /// </summary>
    public static string Join(string before, LocalDate date, string after) => !Fixed(date) ? before + Date(date) + after :
        string.Create(before.Length + 10 + after.Length, (before, date, after), static (span, s) =>
        {
            s.before.CopyTo(span);
            span = span[s.before.Length..];
            WriteDate(span, s.date);
            s.after.CopyTo(span[10..]);
        });

    /// <summary>The same with two dates: <paramref name="a"/>, date 1, <paramref name="b"/>, date 2, <paramref name="c"/>.</summary>
    public static string Join(string a, LocalDate date1, string b, LocalDate date2, string c) => !Fixed(date1) || !Fixed(date2) ? a + Date(date1) + b + Date(date2) + c :
        string.Create(a.Length + b.Length + c.Length + 20, (a, date1, b, date2, c), static (span, s) =>
        {
            s.a.CopyTo(span);
            span = span[s.a.Length..];
            WriteDate(span, s.date1);
            span = span[10..];
            s.b.CopyTo(span);
            span = span[s.b.Length..];
            WriteDate(span, s.date2);
            s.c.CopyTo(span[10..]);
        });

    /// <summary>Digit by digit: the "D4"/"D2" number formats take the runtime's slow formatting path.</summary>
    private static void WriteDate(Span<char> span, LocalDate d)
    {
        Digits(span[..4], d.Year);
        span[4] = '-';
        Digits(span[5..7], d.Month);
        span[7] = '-';
        Digits(span[8..10], d.Day);
    }

    private static readonly LocalDateTimePattern DateTimePattern = LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd HH':'mm");

    /// <summary>Writes <paramref name="value"/> (not negative) zero-padded into exactly the span.</summary>
    private static void Digits(Span<char> span, int value)
    {
        for (var i = span.Length - 1; i >= 0; i--)
        {
            span[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }

    /// <summary>"yyyy-MM-dd HH:mm" in the zone.</summary>
    public static string DateTime(Instant i, DateTimeZone zone)
    {
        var local = i.InZone(zone).LocalDateTime;
        if (!Fixed(local.Date))
        {
            return DateTimePattern.Format(local);
        }

        return string.Create(16, local, static (span, t) =>
        {
            WriteDate(span, t.Date);
            span[10] = ' ';
            Digits(span[11..13], t.Hour);
            span[13] = ':';
            Digits(span[14..16], t.Minute);
        });
    }
}
