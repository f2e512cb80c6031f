using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using ImidCare.Rules.Therapy;
using NodaTime;

namespace ImidCare.Benchmarks;

/// <summary>
/// Issue 3's benchmark: a year-ahead cycle calendar and monitoring schedule for 100,000 synthetic
/// patients in one process. Target: under 10 s on this machine; allocation per patient is the
/// reported Allocated divided by <see cref="Patients"/>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class YearAheadBenchmarks
{
    private IReadOnlyList<PatientPlanInput> inputs = null!;

    [Params(100_000)]
    public int Patients { get; set; }

    [GlobalSetup]
    public void Setup() => inputs = BenchmarkInput.SyntheticPatients(Patients, new LocalDate(2026, 11, 2), seed: 42);

    [Benchmark(Description = "year-ahead calendar + monitoring, all patients")]
    public long YearAhead() => BenchmarkInput.RunYearAhead(inputs);
}
