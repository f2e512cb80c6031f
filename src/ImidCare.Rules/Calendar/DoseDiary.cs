using System.Collections.Immutable;
using ImidCare.Rules.Therapy;
using NodaTime;

namespace ImidCare.Rules.Calendar;

public enum DiaryStatus
{
    Taken,
    Missed,
    Skipped,
}

public sealed record DiaryEntry(LocalDate Date, DiaryStatus Status, int Capsules = 1);

public sealed record Dispensing(LocalDate Date, int Capsules);

/// <summary>
/// Reconciliation of a dose diary. <see cref="Discrepancy"/> is counted minus expected remaining
/// (null without a count): negative means capsules unaccounted for, positive means more left than
/// the diary explains (doses taken but not recorded as taken, or not taken).
/// </summary>
public sealed record DiarySummary(
    int CapsulesDispensed,
    int CapsulesTaken,
    int DosesTaken,
    int DosesMissed,
    int DosesSkipped,
    int ExpectedRemaining,
    int? CountedRemaining,
    int? Discrepancy,
    ImmutableArray<LocalDate> DaysWithMoreThanOneDose,
    Decision Decision);

public static class DoseDiary
{
    private static readonly RuleSource NeverDouble = Sources.Verified("Medication Guides: never take two doses at the same time (clinical-rules §1.2)", "L-V");
    // Reconciliation is arithmetic, not a clinical claim, so it carries the engine's own tag rather than a label tag.
    private static readonly RuleSource Count = Sources.Verified("ImidCare engine: capsule reconciliation (arithmetic, no clinical source)", "engine");

    /// <summary>
    /// How far back a diary entry may be recorded: an entry for today minus <see cref="BackdateDays"/>
    /// (in the plan's zone) is accepted, one for the day before that is not. The labels are silent;
    /// a week covers a weekend away and a late entry while keeping the diary close enough to the day
    /// to be a record. An engine choice, not a clinical claim (docs/therapy-rules.md).
    /// </summary>
    public const int BackdateDays = 7;

    public static DiarySummary Summarize(IEnumerable<DiaryEntry> entries, IEnumerable<Dispensing> dispensed, int? countedRemaining = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(dispensed);
        var e = entries.ToList();
        var d = dispensed.ToList();
        if (e.Any(x => x.Capsules < 0) || d.Any(x => x.Capsules < 0))
        {
            throw new ArgumentException("Capsule counts cannot be negative.", nameof(entries));
        }

        if (e.Any(x => x.Status == DiaryStatus.Taken && x.Capsules == 0))
        {
            throw new ArgumentException("A 'Taken' entry must record at least one capsule.", nameof(entries));
        }

        if (countedRemaining is < 0)
        {
            throw new ArgumentException("countedRemaining cannot be negative.", nameof(countedRemaining));
        }

        var taken = e.Where(x => x.Status == DiaryStatus.Taken).ToList();
        var capsulesTaken = taken.Sum(x => x.Capsules);
        var capsulesDispensed = d.Sum(x => x.Capsules);
        var expected = capsulesDispensed - capsulesTaken;
        var doubles = taken.GroupBy(x => x.Date).Where(g => g.Count() > 1).Select(g => g.Key).Order().ToImmutableArray();
        int? discrepancy = countedRemaining is { } c ? c - expected : null;

        var failures = new List<Reason>();
        if (expected < 0)
        {
            failures.Add(new Reason("DIARY_MORE_TAKEN_THAN_DISPENSED", $"The diary records {capsulesTaken} capsules taken but only {capsulesDispensed} were dispensed.", Count));
        }

        if (discrepancy is { } x && x != 0)
        {
            failures.Add(new Reason("DIARY_COUNT_MISMATCH", $"Counted {countedRemaining} capsules left; the diary predicts {expected} ({(x < 0 ? "missing " + (-x) : x + " extra")}).", Count));
        }

        if (!doubles.IsEmpty)
        {
            failures.Add(new Reason("DIARY_DOUBLE_DOSE", $"More than one dose recorded on {string.Join(", ", doubles)}.", NeverDouble));
        }

        var decision = failures.Count == 0
            ? Decision.Allow(new Reason("DIARY_RECONCILED", "Diary and capsule counts agree.", Count))
            : Decision.HoldFor([.. failures]);

        return new DiarySummary(capsulesDispensed, capsulesTaken, taken.Count,
            e.Count(x => x.Status == DiaryStatus.Missed), e.Count(x => x.Status == DiaryStatus.Skipped),
            expected, countedRemaining, discrepancy, doubles, decision);
    }
}
