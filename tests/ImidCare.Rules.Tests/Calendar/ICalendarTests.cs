using System.Diagnostics;
using System.Text;
using ImidCare.Rules.Calendar;
using NodaTime;
using Shouldly;

namespace ImidCare.Rules.Tests.Calendar;

public class ICalendarTests
{
    private static readonly Instant Stamp = Instant.FromUtc(2026, 1, 2, 3, 4, 5);
    private static readonly LocalDate Start = new(2026, 1, 5);

    [Fact]
    public void Output_UsesCrlf_HasRequiredProperties()
    {
        var ics = ICalendarWriter.Write([new CalendarEvent("a@x", Start, "Dose")], Stamp);
        ics.ShouldStartWith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
        ics.ShouldEndWith("END:VCALENDAR\r\n");
        ics.Replace("\r\n", string.Empty, StringComparison.Ordinal).ShouldNotContain('\n');
        ics.ShouldContain("DTSTAMP:20260102T030405Z\r\n");
        ics.ShouldContain("DTSTART;VALUE=DATE:20260105\r\n");
        ics.ShouldContain("UID:a@x\r\n");
    }

    [Theory]
    [InlineData("a,b", "a\\,b")]
    [InlineData("a;b", "a\\;b")]
    [InlineData("a\\b", "a\\\\b")]
    [InlineData("a\nb", "a\\nb")]
    [InlineData("a\r\nb", "a\\nb")]
    public void Text_IsEscaped(string raw, string escaped) => ICalendarWriter.EscapeText(raw).ShouldBe(escaped);

    [Fact]
    public void LongLines_FoldAt75Octets_WithoutSplittingUtf8()
    {
        var summary = string.Concat(Enumerable.Repeat("Pomalidomide 4 mg é€ ", 20));
        var ics = ICalendarWriter.Write([new CalendarEvent("u@x", Start, summary)], Stamp);
        foreach (var line in ics.Split("\r\n"))
        {
            Encoding.UTF8.GetByteCount(line).ShouldBeLessThanOrEqualTo(75);
        }

        var unfolded = ics.Replace("\r\n ", string.Empty, StringComparison.Ordinal);
        unfolded.ShouldContain("SUMMARY:" + summary);
    }

    [Fact]
    public void RoundTrip_ThroughPythonIcalendar_CountsAndDatesMatch()
    {
        var cal = CycleCalendar.Build(new TreatmentPlan("pom-mm-pd", Start, 70), Start.PlusDays(55));
        var events = CalendarExport.ToEvents(cal, "patient;1,\\x", "Pomalidomide, \"Pd\"").ToList();
        var ics = ICalendarWriter.Write(events, Stamp, calendarName: "ImidCare; test, calendar\nline2");
        var expected = string.Join(",", events.Select(e => e.Date.ToString("yyyyMMdd", null)).Order(StringComparer.Ordinal));

        var output = RunPython(ics, """
            import icalendar, sys
            cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
            evs = [c for c in cal.walk('VEVENT')]
            dates = sorted(c.decoded('DTSTART').strftime('%Y%m%d') for c in evs)
            uids = set(str(c['UID']) for c in evs)
            assert len(uids) == len(evs), 'duplicate UIDs'
            print(len(evs)); print(','.join(dates)); print(str(cal['X-WR-CALNAME']))
            print(str(evs[0]['SUMMARY']))
            """);

        var lines = output.Split('\n');
        int.Parse(lines[0], null).ShouldBe(events.Count);
        lines[1].ShouldBe(expected);
        lines[2].ShouldBe("ImidCare; test, calendar");
        lines[4].ShouldBe(events[0].Summary);
        events.Count(e => e.Summary.StartsWith("Pomalidomide", StringComparison.Ordinal)).ShouldBe(42);
    }

    [Fact]
    public void MonitoringSchedule_RoundTrips()
    {
        var items = MonitoringSchedule.Build(Rules.Therapy.Drug.Pomalidomide, Rules.Therapy.Indication.MultipleMyeloma, Start, Start.PlusMonths(6));
        var ics = ICalendarWriter.Write(CalendarExport.ToEvents(items, "p1"), Stamp);
        var output = RunPython(ics, """
            import icalendar, sys
            cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
            print(len(cal.walk('VEVENT')))
            """);
        int.Parse(output.Trim(), null).ShouldBe(items.Length);
    }

    /// <summary>Runs a python3-icalendar script on the .ics; fails (never skips) when the parser is missing.</summary>
    private static string RunPython(string ics, string script)
    {
        var path = Path.Combine(Path.GetTempPath(), $"imidcare-{Guid.NewGuid():N}.ics");
        File.WriteAllText(path, ics, new UTF8Encoding(false));
        try
        {
            // Debian's python3-icalendar lives under /usr/bin/python3; a pyenv shim first on PATH may not see it.
            string? python = null;
            var errors = new StringBuilder();
            foreach (var candidate in new[] { "python3", "/usr/bin/python3" })
            {
                var probe = Run(candidate, "import icalendar", path);
                if (probe.Code == 0)
                {
                    python = candidate;
                    break;
                }

                errors.Append(candidate).Append(": ").Append(probe.Err).Append(' ');
            }

            if (python is null)
            {
                Assert.Fail("python3-icalendar is required for the iCalendar round-trip test. Install it with: apt-get install -y python3-icalendar. " + errors);
            }

            var result = Run(python, script.Replace("\r\n", "\n", StringComparison.Ordinal), path);
            if (result.Code != 0)
            {
                Assert.Fail("python3-icalendar rejected the output: " + result.Err);
            }

            return result.Out.Trim().Replace("\r", string.Empty, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static (int Code, string Out, string Err) Run(string python, string script, string path)
    {
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(path);
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, string.Empty, $"{python} not found ({e.Message})");
        }

        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, stdout.Result, stderr);
        }
    }
}
