using NodaTime;

namespace ImidCare.Rules.Rems;

/// <summary>A period in which the program declared that patients, prescribers or pharmacies could not reach it.</summary>
public sealed record Outage(Instant From, Instant To, string Reason)
{
    public Duration Length => To - From;
}

/// <summary>
/// Clock suspension during declared outages: a window's end moves later by the time the window
/// spent inside an outage, so nobody loses a window to a system they could not reach. This is the
/// lesson of the December 2021 iPLEDGE outage, where windows kept running while the site was down
/// (facts §10.1); no program text states it, so it is an inference and flagged as such.
/// </summary>
public static class OutageRules
{
    public static readonly RuleSource Source = RuleSource.UnverifiedRule(
        "Inference from the iPLEDGE December 2021 outage: windows should be suspended while the program is unreachable (facts §10.1, 'lessons for implementers')", "I");

    /// <summary>
    /// The end of a window that started at <paramref name="start"/> and would end at
    /// <paramref name="end"/>, with its clock stopped during every outage that began before the
    /// window closed. An extension can reach into a later outage, which stops it again.
    /// </summary>
    public static Instant Extend(Instant start, Instant end, IEnumerable<Outage> outages)
    {
        var ordered = outages.Where(o => o.To > o.From).OrderBy(o => o.From).ToList();
        var extended = end;
        foreach (var o in ordered)
        {
            if (o.From >= extended || o.To <= start)
            {
                continue;
            }

            // The clock stops from when the outage began (or the window opened) until the outage ends,
            // so the end moves by all of that, even past the old end.
            var stoppedFrom = o.From > start ? o.From : start;
            extended += o.To - stoppedFrom;
        }

        return extended;
    }

    public static Reason Extended(Instant from, Instant to, DateTimeZone zone) => new(
        "REMS.WINDOW_EXTENDED_FOR_OUTAGE",
        $"A declared program outage suspended this window: it now ends at {Fmt.DateTime(to, zone)} ({zone.Id}) instead of {Fmt.DateTime(from, zone)}.",
        Source);
}
