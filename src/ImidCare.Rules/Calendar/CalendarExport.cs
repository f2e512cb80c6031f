using System.Globalization;
using System.Text;
using NodaTime;

namespace ImidCare.Rules.Calendar;

/// <summary>Turns calendars and monitoring lists into iCalendar events and text.</summary>
public static class CalendarExport
{
    public static IEnumerable<CalendarEvent> ToEvents(TreatmentCalendar calendar, string patientKey, string drugLabel)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        ArgumentException.ThrowIfNullOrWhiteSpace(patientKey);
        foreach (var day in calendar.Days)
        {
            var stamp = day.Date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
            if (day.Kind == DayKind.Dose)
            {
                var summary = new StringBuilder()
                    .Append(CultureInfo.InvariantCulture, $"{drugLabel} {day.DoseMg:0.##} mg (cycle {day.Cycle}, day {day.CycleDay})");
                if (day.TakeAfterDialysis)
                {
                    summary.Append(" - take after dialysis");
                }

                yield return new CalendarEvent($"{patientKey}-{calendar.RegimenId}-dose-{stamp}@imidcare", day.Date, summary.ToString());
            }

            foreach (var p in day.Partners)
            {
                var note = p.DuringImidHold ? " (IMiD on hold - confirm with care team)" : string.Empty;
                yield return new CalendarEvent(
                    $"{patientKey}-{calendar.RegimenId}-{p.Agent}-{stamp}@imidcare", day.Date, $"{p.Agent} {p.Dose}{note}");
            }
        }
    }

    public static IEnumerable<CalendarEvent> ToEvents(IEnumerable<DueItem> items, string patientKey)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentException.ThrowIfNullOrWhiteSpace(patientKey);
        foreach (var i in items)
        {
            var stamp = i.Date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
            yield return new CalendarEvent($"{patientKey}-{i.Kind}-{stamp}@imidcare", i.Date, i.Description,
                string.Join("\n", i.Basis.Reasons.Select(r => $"{r.Message} Source: {r.Source}")));
        }
    }

    public static string ToICalendar(TreatmentCalendar calendar, string patientKey, string drugLabel, Instant dtStamp) =>
        ICalendarWriter.Write(ToEvents(calendar, patientKey, drugLabel), dtStamp);
}
