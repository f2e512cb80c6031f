using System.Collections.Immutable;
using ImidCare.Rules.Calendar;
using NodaTime;

namespace ImidCare.Rules.Therapy;

/// <summary>Everything needed for a year-ahead plan for one patient.</summary>
public sealed record PatientPlanInput(TreatmentPlan Plan, bool HivPositive = false, ImmutableArray<DueItem> ExtraDueItems = default);

/// <summary>Year-ahead calendar plus the merged monitoring list.</summary>
public sealed record YearAheadPlan(TreatmentCalendar Calendar, ImmutableArray<DueItem> Monitoring);

/// <summary>Public entry point for planning (and for the 100,000-patient benchmark).</summary>
public static class TherapyPlanner
{
    /// <summary>The planning horizon: one year from the start date, inclusive of the start day.</summary>
    public static readonly Period Horizon = Period.FromYears(1);

    public static YearAheadPlan YearAhead(PatientPlanInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var regimen = Regimens.Get(input.Plan.RegimenId);
        var through = input.Plan.Start.Plus(Horizon).PlusDays(-1);
        var calendar = CycleCalendar.Build(input.Plan, through);
        var monitoring = MonitoringSchedule.Build(regimen.Drug, regimen.Indication, input.Plan.Start, through, input.HivPositive,
            input.ExtraDueItems.IsDefault ? null : input.ExtraDueItems);
        return new YearAheadPlan(calendar, monitoring);
    }

    public static YearAheadPlan YearAhead(TreatmentPlan plan) => YearAhead(new PatientPlanInput(plan));
}

/// <summary>Deterministic synthetic patients for benchmarks and load tests; no randomness source outside the seed.</summary>
public static class BenchmarkInput
{
    public static ImmutableArray<PatientPlanInput> SyntheticPatients(int count, LocalDate firstStart, int seed = 42)
    {
        if (count is < 0 or > 10_000_000)
        {
            throw new ArgumentException("count must be 0-10,000,000.", nameof(count));
        }

        var rng = new Random(seed);
        var regimens = Regimens.All;
        var builder = ImmutableArray.CreateBuilder<PatientPlanInput>(count);
        for (var i = 0; i < count; i++)
        {
            var regimen = regimens[rng.Next(regimens.Length)];
            var start = firstStart.PlusDays(rng.Next(365));
            ImmutableArray<Hold> holds = [];
            if (rng.Next(4) == 0)
            {
                var from = start.PlusDays(rng.Next(10, 200));
                holds = [new Hold(from, from.PlusDays(rng.Next(3, 21)), "synthetic")];
            }

            var plan = new TreatmentPlan(regimen.Id, start, rng.Next(40, 90), Holds: holds);
            builder.Add(new PatientPlanInput(plan, HivPositive: regimen.Drug == Drug.Thalidomide && rng.Next(10) == 0));
        }

        return builder.MoveToImmutable();
    }

    /// <summary>Runs the year-ahead plan for every input and returns the total dose days (so nothing is optimised away).</summary>
    public static long RunYearAhead(IEnumerable<PatientPlanInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        long doses = 0;
        foreach (var input in inputs)
        {
            var plan = TherapyPlanner.YearAhead(input);
            foreach (var d in plan.Calendar.Days)
            {
                if (d.Kind == DayKind.Dose)
                {
                    doses++;
                }
            }

            doses += plan.Monitoring.Length;
        }

        return doses;
    }
}
