using System.Globalization;
using System.Text;
using NodaTime;
using NodaTime.Text;

namespace ImidCare.Rules.Calendar;

/// <summary>An all-day event for export. The UID must be stable so re-imports update rather than duplicate.</summary>
public sealed record CalendarEvent(string Uid, LocalDate Date, string Summary, string? Description = null);

/// <summary>
/// Minimal RFC 5545 writer, by hand because no library is available: CRLF line endings, content
/// lines folded at 75 octets (never inside a UTF-8 sequence), TEXT escaping of backslash, semicolon,
/// comma and newlines. DTSTAMP is passed in so output is reproducible.
/// </summary>
public static class ICalendarWriter
{
    private const string Crlf = "\r\n";
    private const int MaxOctets = 75;

    private static readonly InstantPattern StampPattern = InstantPattern.CreateWithInvariantCulture("uuuuMMdd'T'HHmmss'Z'");
    private static readonly LocalDatePattern DatePattern = LocalDatePattern.CreateWithInvariantCulture("uuuuMMdd");

    public static string Write(IEnumerable<CalendarEvent> events, Instant dtStamp, string productId = "-//ImidCare//Therapy Rules//EN", string? calendarName = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrWhiteSpace(productId);
        var sb = new StringBuilder();
        AppendLine(sb, "BEGIN:VCALENDAR");
        AppendLine(sb, "VERSION:2.0");
        AppendLine(sb, "PRODID:" + productId);
        AppendLine(sb, "CALSCALE:GREGORIAN");
        if (calendarName is not null)
        {
            AppendLine(sb, "X-WR-CALNAME:" + EscapeText(calendarName));
        }

        var stamp = StampPattern.Format(dtStamp);
        foreach (var e in events)
        {
            if (string.IsNullOrWhiteSpace(e.Uid))
            {
                throw new ArgumentException("Every event needs a UID.", nameof(events));
            }

            AppendLine(sb, "BEGIN:VEVENT");
            AppendLine(sb, "UID:" + EscapeText(e.Uid));
            AppendLine(sb, "DTSTAMP:" + stamp);
            AppendLine(sb, "DTSTART;VALUE=DATE:" + DatePattern.Format(e.Date));
            AppendLine(sb, "DTEND;VALUE=DATE:" + DatePattern.Format(e.Date.PlusDays(1)));
            AppendLine(sb, "SUMMARY:" + EscapeText(e.Summary ?? string.Empty));
            if (!string.IsNullOrEmpty(e.Description))
            {
                AppendLine(sb, "DESCRIPTION:" + EscapeText(e.Description));
            }

            AppendLine(sb, "TRANSP:TRANSPARENT");
            AppendLine(sb, "END:VEVENT");
        }

        AppendLine(sb, "END:VCALENDAR");
        return sb.ToString();
    }

    /// <summary>RFC 5545 §3.3.11 TEXT escaping.</summary>
    public static string EscapeText(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sb = new StringBuilder(value.Length + 8);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case ';': sb.Append("\\;"); break;
                case ',': sb.Append("\\,"); break;
                case '\r':
                    sb.Append("\\n");
                    if (i + 1 < value.Length && value[i + 1] == '\n')
                    {
                        i++;
                    }

                    break;
                case '\n': sb.Append("\\n"); break;
                default: sb.Append(c); break;
            }
        }

        return sb.ToString();
    }

    /// <summary>RFC 5545 §3.1 folding: at most 75 octets per physical line, continuation lines start with one space.</summary>
    public static string Fold(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (Encoding.UTF8.GetByteCount(line) <= MaxOctets)
        {
            return line;
        }

        var sb = new StringBuilder();
        var octets = 0;
        var limit = MaxOctets;
        var e = StringInfo.GetTextElementEnumerator(line);
        while (e.MoveNext())
        {
            var element = (string)e.Current;
            var size = Encoding.UTF8.GetByteCount(element);
            if (octets + size > limit)
            {
                sb.Append(Crlf).Append(' ');
                octets = 0;
                // The leading space of a continuation line counts toward its 75 octets.
                limit = MaxOctets - 1;
            }

            sb.Append(element);
            octets += size;
        }

        return sb.ToString();
    }

    private static void AppendLine(StringBuilder sb, string line) => sb.Append(Fold(line)).Append(Crlf);
}
