using BenchmarkDotNet.Attributes;
using ImidCare.Rules;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using NodaTime;

namespace ImidCare.Benchmarks;

/// <summary>
/// The two decisions on the pharmacy's path, rules only (facts already loaded): the prescriber
/// survey's authorization and the pharmacy's confirmation. Target: ≥ 1,000,000 decisions/s on one
/// core, i.e. ≤ 1 µs each.
/// </summary>
[MemoryDiagnoser]
public class DecisionBenchmarks
{
    private static readonly Instant Now = Instant.FromUtc(2026, 11, 17, 15, 0);
    private AuthorizationFacts frpFirst = null!;
    private AuthorizationFacts maleRefill = null!;
    private ConfirmationFacts confirm = null!;

    [GlobalSetup]
    public void Setup()
    {
        var pom = ProgramCatalog.Pomalidomide;
        PregnancyTest[] tests =
        [
            new(Now - Duration.FromDays(12), TestResult.Negative, 25, TestSetting.Lab),
            new(Now - Duration.FromHours(2), TestResult.Negative, 25, TestSetting.Lab),
        ];
        frpFirst = new AuthorizationFacts(pom, Now, "pomalidomide", CertificationStatus.Certified, EnrollmentStatus.Enrolled,
            RiskCategory.AdultFemaleCanGetPregnant, true, [], tests, true, null, 28, 0, true, []);
        maleRefill = new AuthorizationFacts(ProgramCatalog.Lenalidomide, Now, "lenalidomide", CertificationStatus.Certified, EnrollmentStatus.Enrolled,
            RiskCategory.AdultMale, true, [], [], false, new LocalDate(2026, 11, 10), 28, 0, true, []);
        confirm = new ConfirmationFacts(pom, Now, CertificationStatus.Certified, AuthorizationState.Active, Now + Duration.FromDays(5),
            CertificationStatus.Certified, EnrollmentStatus.Enrolled, RiskCategory.AdultMale, [], false, new LocalDate(2026, 11, 10),
            new PreviousDispense(new LocalDate(2026, 10, 24), 28));
    }

    [Benchmark(Description = "authorization, first Rx, can get pregnant")]
    public Decision AuthorizeFrpFirst() => AuthorizationRules.Evaluate(frpFirst).Decision;

    [Benchmark(Description = "authorization, refill, adult male")]
    public Decision AuthorizeMaleRefill() => AuthorizationRules.Evaluate(maleRefill).Decision;

    [Benchmark(Description = "confirmation, refill")]
    public Decision Confirm() => DispensingRules.Confirm(confirm).Decision;
}
