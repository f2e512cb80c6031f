using System.Collections.Immutable;
using ImidCare.Rules.Rems;
using NodaTime;

namespace ImidCare.Rules.Programs;

/// <summary>
/// The program rule sets. The three BMS programs share one design and differ in name, drugs and
/// sources; the iPLEDGE-style set runs on the same engine from data alone, which is how we know
/// the engine is general. Evidence tags are those of shared/docs/rems-program-facts.md §0.
/// </summary>
public static class ProgramCatalog
{
    private static RuleSource S(string doc) => RuleSource.Verified(doc, "S");

    private static RuleSource T(string doc) => RuleSource.UnverifiedRule(doc, "T");

    private static RuleSource I(string doc) => RuleSource.UnverifiedRule(doc, "I");

    private static RuleSource S2(string doc) => RuleSource.Verified(doc, "S2");

    private static ProgramRules Bms(string id, string name, string version, string[] drugs, string remsDoc) => new()
    {
        Id = id,
        Name = name,
        Version = version,
        EffectiveFrom = new LocalDate(2023, 3, 24),

        // No BMS text names the zone that ends a day; the call center is in New Jersey, and iPLEDGE
        // ends its windows at 11:59 pm Eastern, so Eastern is the working assumption.
        TimeZoneId = new("America/New_York", I("Inference: REMS call center in NJ; iPLEDGE windows end 11:59 pm ET (facts §9)")),
        Drugs = [.. drugs],
        Categories = new(CategoryScheme.SexAndAge, S($"{remsDoc}: six risk categories (THALOMID REMS T1; facts §3.1)")),
        AdultAgeYears = new(18, S("THALOMID REMS (REMS@FDA 06/27/2017): adult males 18 years and older (facts §3.1)")),
        MaxDaysSupply = new(28, S($"{remsDoc}: no more than a 4-week (28-day) supply (facts §7.2)")),
        MaxRefills = new(0, S($"{remsDoc}: no automatic refills (facts §7.2)")),
        MinTestSensitivityMiuPerMl = new(50, S("REVLIMID PI §5.1 / THALOMID PI: sensitivity of at least 50 mIU/mL (facts §4.1)")),
        PreStartTests =
        [
            new TestDaysBeforeFirstPrescription(14, 10, "FIRST_PRESTART_TEST", "A negative test 10 to 14 days before the first prescription.",
                S($"{remsDoc}: first test within 10–14 days before the first prescription (facts §4.1)")),
            new TestWithinBeforeFirstPrescription(Duration.FromHours(24), "SECOND_PRESTART_TEST", "A negative test within 24 hours before the first prescription.",
                S($"{remsDoc}: second test within 24 hours before the first prescription (facts §4.1)")),
        ],
        OnTherapyTests = new(7, 28, 28, 14, S("Thalidomide Shared System REMS; REVLIMID PI §5.1: weekly for 4 weeks, then every 4 weeks (regular or no cycles) or every 2 weeks (irregular) (facts §4.1)")),
        PatientSurveys = new Dictionary<RiskCategory, SurveyCadence>
        {
            [RiskCategory.AdultFemaleCanGetPregnant] = new(Period.FromMonths(1), Survey(id, "every month, females who can get pregnant")),
            [RiskCategory.FemaleChildCanGetPregnant] = new(Period.FromMonths(1), Survey(id, "every month, females who can get pregnant")),
            [RiskCategory.AdultFemaleCannotGetPregnant] = new(Period.FromMonths(6), Survey(id, "every six months, adult females who cannot get pregnant")),
            [RiskCategory.FemaleChildCannotGetPregnant] = new(Period.FromMonths(1), Survey(id, "every month, female children who cannot get pregnant")),
            [RiskCategory.AdultMale] = new(Period.FromMonths(1), Survey(id, "every month, males")),
            [RiskCategory.MaleChild] = new(Period.FromMonths(1), Survey(id, "every month, males")),
        }.ToImmutableDictionary(),
        // Stated only for males, on pomalyst.com (facts §6.1, §13.1 "S/I"); the other categories,
        // and lenalidomide and THALOMID, follow by inference (the POMALYST REMS adds the males' source).
        PatientSurveyBeforeFirstPrescription = new(false, I("Inferred from pomalyst.com/rems, which states it for males: no survey for the first prescription, only the following ones (facts §6.1, §13.1)")),
        AuthorizationFromLastTest = new(new DayWindow(7), T("Lenalidomide REMS Pharmacy Guide 12/2022 as paraphrased by a third party: authorization valid 7 days from the last pregnancy test; Day 1 = specimen date, as iPLEDGE counts (facts §7.2, Q1)")),
        AuthorizationFromIssue = new(new DayWindow(30), T("Lenalidomide REMS Pharmacy Guide 12/2022 as paraphrased by a third party: 30 days from issue for all other patients; Day 1 = issue date (facts §7.2, Q1)")),
        ConfirmationValidity = new(Duration.FromHours(24), T("Lenalidomide REMS Pharmacy Guide 12/2022 as paraphrased by a third party: confirmation number valid 24 hours (facts §7.2)")),
        NextFillWhenDaysRemainAtMost = new(7, T("Lenalidomide REMS Pharmacy Guide 12/2022 as paraphrased by a third party: next fill only when 7 or fewer days of therapy remain (facts §7.2)")),
        Lockout = new(false, 0, S("BMS programs have no lockout rule (facts §9 is iPLEDGE only)")),
        AgreementTextVersion = $"{id}-PPAF-2021-08",
    };

    // Monthly/six-monthly cadences are sourced for THALOMID and POMALYST; lenalidomide's is inferred
    // from the harmonized Celgene design (facts §6.1), so it travels as unverified.
    private static RuleSource Survey(string programId, string what) => programId == "LEN"
        ? I($"Inferred for Lenalidomide REMS from THALOMID/POMALYST REMS 2017: {what} (facts §6.1)")
        : S($"REMS@FDA 2017 (THALOMID T1, POMALYST P3): {what} (facts §6.1)");

    public static readonly ProgramRules Lenalidomide = Bms("LEN", "Lenalidomide REMS", "2023-03-24", ["lenalidomide"], "Lenalidomide REMS (REMS@FDA 410)");

    private static readonly RuleSource NoFirstSurveyMales = S("pomalyst.com/rems (males): no survey for the first prescription, only the following ones (facts §6.1)");

    public static readonly ProgramRules Pomalidomide = Bms("POM", "PS-Pomalidomide REMS", "2025-02", ["pomalidomide"], "PS-Pomalidomide REMS (REMS@FDA 41/404)") with
    {
        EffectiveFrom = new LocalDate(2025, 2, 1),
        PatientSurveyBeforeFirstPrescriptionStated = new Dictionary<RiskCategory, RuleSource>
        {
            [RiskCategory.AdultMale] = NoFirstSurveyMales,
            [RiskCategory.MaleChild] = NoFirstSurveyMales,
        }.ToImmutableDictionary(),
    };

    public static readonly ProgramRules Thalidomide = Bms("THAL", "THALOMID REMS", "2023-03-24", ["thalidomide"], "THALOMID REMS (REMS@FDA 58)");

    /// <summary>
    /// An iPLEDGE-style rule set (as before the 2026 modification), to prove the engine is general:
    /// two gender-neutral categories, 30-day supply, 7-day window from the specimen date, the
    /// 19-day lockout as a switchable rule.
    /// </summary>
    public static readonly ProgramRules IPledgeStyle = new()
    {
        Id = "IPLEDGE",
        Name = "iPLEDGE-style (isotretinoin)",
        Version = "2021-12-13",
        EffectiveFrom = new LocalDate(2021, 12, 13),
        TimeZoneId = new("America/New_York", S("iPLEDGE: windows end before 11:59 p.m. Eastern (facts §9, I3)")),
        Drugs = ["isotretinoin"],
        Categories = new(CategoryScheme.GenderNeutral, S("iPLEDGE modification effective 12/13/2021: two gender-neutral categories (facts §3.2)")),
        AdultAgeYears = new(18, I("No iPLEDGE age split in the categories; 18 used only to ask for a guardian")),
        MaxDaysSupply = new(30, S2("iPLEDGE: 30-day supply, no refills (facts §9)")),
        MaxRefills = new(0, S2("iPLEDGE: no refills (facts §9)")),
        MinTestSensitivityMiuPerMl = new(25, S2("iPLEDGE: CLIA tests detecting hCG at 25 mIU/mL (facts §4.2)")),
        PreStartTests =
        [
            // iPLEDGE states no maximum age for the initial test; 60 days keeps a stale one from counting.
            new TestDaysBeforeFirstPrescription(60, 0, "INITIAL_TEST", "An initial negative test, at most 60 days before treatment.",
                I("iPLEDGE REMS 2023: initial negative test with enrollment (facts §4.2); the 60-day limit is ours")),
            new TestDaysAfterPreviousTest(19, "CONFIRMATORY_TEST", "A second negative test at least 19 days after the first.",
                S("iPLEDGE REMS 2023: second test at least 19 days after the first (facts §4.2)")),
        ],
        OnTherapyTests = new(30, 0, 30, 30, S2("iPLEDGE: monthly pregnancy test during treatment (facts §4.2)")),
        PatientSurveys = new Dictionary<RiskCategory, SurveyCadence>
        {
            [RiskCategory.CanGetPregnant] = new(Period.FromMonths(1), S2("iPLEDGE: monthly comprehension questions and contraception entry (facts §6.2)")),
            [RiskCategory.CannotGetPregnant] = new(null, S2("iPLEDGE: no patient questions for patients who cannot get pregnant (facts §6.2)")),
        }.ToImmutableDictionary(),
        PatientSurveyBeforeFirstPrescription = new(true, S2("iPLEDGE: questions answered before each prescription (facts §6.2)")),
        AuthorizationFromLastTest = new(new DayWindow(7), S2("iPLEDGE: 7-day window, Day 1 = specimen collection date (facts §9)")),
        AuthorizationFromIssue = new(new DayWindow(30), S2("iPLEDGE: 30 days from the office visit for patients who cannot get pregnant (facts §9)")),
        ConfirmationValidity = new(Duration.FromHours(24), I("iPLEDGE RMA is the dispense authorization itself; 24 h used for the pharmacy step")),
        NextFillWhenDaysRemainAtMost = new(7, I("Early-fill rule carried over from the BMS design")),
        Lockout = new(true, 19, S2("iPLEDGE 2007 rule: after a missed window, the next test ≥ 19 days after the one that opened it (facts §9)")),
        AgreementTextVersion = "IPLEDGE-CONSENT-2021-12",
    };

    public static readonly ImmutableArray<ProgramRules> All = [Lenalidomide, Pomalidomide, Thalidomide, IPledgeStyle];

    public static ProgramRules? Find(string id) =>
        All.FirstOrDefault(p => string.Equals(p.Id, id?.Trim(), StringComparison.OrdinalIgnoreCase));

    public static ProgramRules? ForDrug(string drug) => All.FirstOrDefault(p => p.Covers(drug));
}
