using System.Collections.Immutable;

namespace ImidCare.Rules.Therapy;

/// <summary>Regimens as data (clinical-rules.md §1.2, §2.2, §3.1, §7).</summary>
public static class Regimens
{
    private static ImmutableArray<int> Range(int from, int to) => [.. Enumerable.Range(from, to - from + 1)];

    private static readonly ImmutableArray<int> Weekly = [1, 8, 15, 22];

    private static PartnerSchedule Dex(string dose, AgeBand age, RuleSource src, int from = 1, int? to = null, ImmutableArray<int>? days = null) =>
        new("dexamethasone", dose, from, to, days ?? Weekly, age, src);

    private static readonly RuleSource PomDex = Sources.Verified("POMALYST PI §2.2; pomalysthcp.com pd-renal-dosing (clinical-rules §1.2)", "L-V");

    public static readonly Regimen Pd = new(
        "pom-mm-pd", "Pomalidomide + dexamethasone (Pd)", Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, 28, Range(1, 21), null,
        [Dex("40 mg PO", AgeBand.AtMost75, PomDex), Dex("20 mg PO", AgeBand.Over75, PomDex)],
        true, null, PomDex);

    public static readonly Regimen PomKs = new(
        "pom-ks", "Pomalidomide, Kaposi sarcoma", Drug.Pomalidomide, Indication.KaposiSarcoma, 5m, 28, Range(1, 21), null,
        [], true, "Continue HAART in AIDS-related KS.",
        Sources.Verified("POMALYST PI §2.3 (clinical-rules §1.2)", "L-V"));

    // DARZALEX weeks 1-8 / 9-24 / 25+ map exactly onto cycles 1-2 / 3-6 / 7+ of a 28-day cycle.
    private static readonly RuleSource DaraSrc = Sources.Unverified("DARZALEX PI with Pd (clinical-rules §7; indication wording [K])", "L-S");

    public static readonly Regimen DPd = new(
        "pom-mm-dpd", "Daratumumab + pomalidomide + dexamethasone (DPd)", Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, 28, Range(1, 21), null,
        [
            new("daratumumab", "16 mg/kg IV (or FASPRO 1,800 mg SC)", 1, 2, Weekly, AgeBand.Any, DaraSrc),
            new("daratumumab", "16 mg/kg IV (or FASPRO 1,800 mg SC)", 3, 6, [1, 15], AgeBand.Any, DaraSrc),
            new("daratumumab", "16 mg/kg IV (or FASPRO 1,800 mg SC)", 7, null, [1], AgeBand.Any, DaraSrc),
            Dex("40 mg weekly", AgeBand.AtMost75, DaraSrc), Dex("20 mg weekly", AgeBand.Over75, DaraSrc),
        ],
        true, "Dex on antibody days serves as premedication; it replaces, not adds to, the weekly dose.", DaraSrc);

    private static readonly RuleSource EloSrc = Sources.Verified("EMPLICITI PI with Pd (clinical-rules §7)", "L-V");

    // Non-elotuzumab dex days: the HCP page appears to transpose the age bands (clinical-rules §9 item 12).
    private static readonly RuleSource EloDexSrc = Sources.Unverified("EMPLICITI PI EPd dex table (clinical-rules §7, §9 item 12)", "K");

    public static readonly Regimen EPd = new(
        "pom-mm-epd", "Elotuzumab + pomalidomide + dexamethasone (EPd)", Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, 28, Range(1, 21), null,
        [
            new("elotuzumab", "10 mg/kg IV", 1, 2, Weekly, AgeBand.Any, EloSrc),
            new("elotuzumab", "20 mg/kg IV", 3, null, [1], AgeBand.Any, EloSrc),
            Dex("28 mg PO + 8 mg IV (elotuzumab day)", AgeBand.AtMost75, EloSrc, 1, 2),
            Dex("8 mg PO + 8 mg IV (elotuzumab day)", AgeBand.Over75, EloSrc, 1, 2),
            Dex("28 mg PO + 8 mg IV (elotuzumab day)", AgeBand.AtMost75, EloSrc, 3, null, [1]),
            Dex("8 mg PO + 8 mg IV (elotuzumab day)", AgeBand.Over75, EloSrc, 3, null, [1]),
            Dex("40 mg PO", AgeBand.AtMost75, EloDexSrc, 3, null, [8, 15, 22]),
            Dex("20 mg PO", AgeBand.Over75, EloDexSrc, 3, null, [8, 15, 22]),
        ],
        true, null, EloSrc);

    private static readonly RuleSource IsaSrc = Sources.Verified("SARCLISA PI with Pd (clinical-rules §7)", "L-S");

    // The SARCLISA age cut-off (>= 75 vs > 75) is unconfirmed (clinical-rules §9 item 13).
    private static readonly RuleSource IsaDexSrc = Sources.Unverified("SARCLISA PI dex age cut-off (clinical-rules §9 item 13)", "K");

    public static readonly Regimen IsaPd = new(
        "pom-mm-isapd", "Isatuximab + pomalidomide + dexamethasone (IsaPd)", Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, 28, Range(1, 21), null,
        [
            new("isatuximab", "10 mg/kg IV", 1, 1, Weekly, AgeBand.Any, IsaSrc),
            new("isatuximab", "10 mg/kg IV", 2, null, [1, 15], AgeBand.Any, IsaSrc),
            Dex("40 mg weekly", AgeBand.Under75, IsaDexSrc), Dex("20 mg weekly", AgeBand.AtLeast75, IsaDexSrc),
        ],
        true, null, IsaSrc);

    private static readonly RuleSource PvdSrc = Sources.Unverified("OPTIMISMM, Lancet Oncol 2019;20:781 (clinical-rules §7) - not in a US label", "T");

    public static readonly Regimen PVd = new(
        "pom-mm-pvd", "Pomalidomide + bortezomib + dexamethasone (PVd)", Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, 21, Range(1, 14), null,
        [
            new("bortezomib", "1.3 mg/m2 IV or SC", 1, 8, [1, 4, 8, 11], AgeBand.Any, PvdSrc),
            new("bortezomib", "1.3 mg/m2 IV or SC", 9, null, [1, 8], AgeBand.Any, PvdSrc),
            Dex("20 mg", AgeBand.AtMost75, PvdSrc, 1, 8, [1, 2, 4, 5, 8, 9, 11, 12]),
            Dex("10 mg", AgeBand.Over75, PvdSrc, 1, 8, [1, 2, 4, 5, 8, 9, 11, 12]),
            Dex("20 mg", AgeBand.AtMost75, PvdSrc, 9, null, [1, 2, 8, 9]),
            Dex("10 mg", AgeBand.Over75, PvdSrc, 9, null, [1, 2, 8, 9]),
        ],
        false, "EU-approved (Imnovid SmPC); not in any US label.", PvdSrc);

    private static readonly RuleSource KpdSrc = Sources.Unverified("Shah JJ et al. Blood 2015;126:2284 (clinical-rules §7) - not in a US label", "T");

    public static readonly Regimen KPd = new(
        "pom-mm-kpd", "Carfilzomib + pomalidomide + dexamethasone (KPd)", Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, 28, Range(1, 21), null,
        [
            new("carfilzomib", "20 mg/m2 IV", 1, 1, [1, 2], AgeBand.Any, KpdSrc),
            new("carfilzomib", "27 mg/m2 IV", 1, 1, [8, 9, 15, 16], AgeBand.Any, KpdSrc),
            new("carfilzomib", "27 mg/m2 IV", 2, null, [1, 2, 8, 9, 15, 16], AgeBand.Any, KpdSrc),
            Dex("40 mg weekly", AgeBand.Any, KpdSrc),
        ],
        false, "Trial schedules vary; not in any US label.", KpdSrc);

    private static readonly RuleSource LenMmSrc = Sources.Verified("REVLIMID PI §2.1 (clinical-rules §2.2; dex per MM-020 via Medscape)", "L-S");

    public static readonly Regimen LenDex = new(
        "len-mm-rd", "Lenalidomide + dexamethasone (Rd)", Drug.Lenalidomide, Indication.MultipleMyeloma, 25m, 28, Range(1, 21), null,
        [Dex("40 mg PO", AgeBand.AtMost75, LenMmSrc), Dex("20 mg PO", AgeBand.Over75, LenMmSrc)],
        true, "Label refers to §14.1 for dexamethasone; the MM-020 weekly schedule is used.", LenMmSrc);

    public static readonly Regimen LenMaintenance = new(
        "len-mm-maint", "Lenalidomide maintenance after auto-HSCT", Drug.Lenalidomide, Indication.MultipleMyelomaMaintenance, 10m, 28, Range(1, 28), null,
        [], true, "After 3 cycles the dose may be increased to 15 mg once daily if tolerated (see MaintenanceEscalation).",
        Sources.Verified("REVLIMID PI §2.2 (addendum C, 120ty aid=50341 p4)", "L-OLD"));

    public static readonly Regimen LenMds = new(
        "len-mds", "Lenalidomide, del(5q) MDS", Drug.Lenalidomide, Indication.MyelodysplasticSyndromes, 10m, 28, Range(1, 28), null,
        [], true, "Continuous daily dosing; the 28-day cycle is for calendaring only.",
        Sources.Verified("REVLIMID PI §2.3 (addendum C)", "L-S"));

    public static readonly Regimen LenMcl = new(
        "len-mcl", "Lenalidomide, mantle cell lymphoma", Drug.Lenalidomide, Indication.MantleCellLymphoma, 25m, 28, Range(1, 21), null,
        [], true, null, Sources.Verified("REVLIMID PI §2.4 (addendum C)", "L-S"));

    private static readonly RuleSource RituxSrc = Sources.Unverified("REVLIMID PI §2.5 / AUGMENT rituximab schedule (clinical-rules §2.2)", "K");

    public static readonly Regimen LenR2 = new(
        "len-fl-mzl-r2", "Lenalidomide + rituximab (FL/MZL)", Drug.Lenalidomide, Indication.FollicularOrMarginalZoneLymphoma, 20m, 28, Range(1, 21), 12,
        [
            new("rituximab", "375 mg/m2 IV", 1, 1, Weekly, AgeBand.Any, RituxSrc),
            new("rituximab", "375 mg/m2 IV", 2, 5, [1], AgeBand.Any, RituxSrc),
        ],
        true, "Up to 12 cycles.", Sources.Verified("REVLIMID PI §2.5 highlights (addendum C)", "L-V"));

    // Thalidomide dex days 1-4, 9-12, 17-20 are PARTIAL in the addendum (MMRF wording, label verbatim unconfirmed).
    private static readonly RuleSource ThalDexSrc = Sources.Unverified("THALOMID PI §2.1 dex schedule (addendum D: PARTIAL)", "L-S");

    public static readonly Regimen ThalDex = new(
        "thal-mm-td", "Thalidomide + dexamethasone (Td)", Drug.Thalidomide, Indication.MultipleMyeloma, 200m, 28, Range(1, 28), null,
        [Dex("40 mg PO", AgeBand.Any, ThalDexSrc, 1, null, [1, 2, 3, 4, 9, 10, 11, 12, 17, 18, 19, 20])],
        true, "Take at bedtime, at least 1 hour after the evening meal.",
        Sources.Verified("THALOMID PI §2.1 (addendum D)", "L-S"));

    public static readonly Regimen ThalEnl = new(
        "thal-enl", "Thalidomide, erythema nodosum leprosum", Drug.Thalidomide, Indication.ErythemaNodosumLeprosum, 100m, 28, Range(1, 28), null,
        [], true, "100-300 mg once daily at bedtime (low end if < 50 kg; up to 400 mg in severe cases); taper by 50 mg every 2-4 weeks.",
        Sources.Verified("THALOMID PI §2.2 (addendum D)", "L-S"));

    public static readonly ImmutableArray<Regimen> All = [Pd, PomKs, DPd, EPd, IsaPd, PVd, KPd, LenDex, LenMaintenance, LenMds, LenMcl, LenR2, ThalDex, ThalEnl];

    private static readonly ImmutableDictionary<string, Regimen> ById = All.ToImmutableDictionary(r => r.Id, StringComparer.OrdinalIgnoreCase);

    public static Regimen Get(string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        return ById.TryGetValue(id, out var r)
            ? r
            : throw new ArgumentException($"Unknown regimen '{id}'. Known: {string.Join(", ", ById.Keys.Order(StringComparer.Ordinal))}.", nameof(id));
    }

    public static bool TryGet(string id, out Regimen? regimen) => ById.TryGetValue(id ?? string.Empty, out regimen);

    /// <summary>Lenalidomide maintenance may step up after 3 cycles if tolerated (REVLIMID PI §2.2).</summary>
    public static readonly MaintenanceEscalation MaintenanceStep = new(3, 15m,
        Sources.Verified("REVLIMID PI §2.2 (addendum C: 'After 3 cycles ... can be increased to 15 mg')", "L-OLD"));
}

public sealed record MaintenanceEscalation(int AfterCycles, decimal ToDoseMg, RuleSource Source)
{
    /// <summary>Eligible from the first day of cycle AfterCycles+1 when the prescriber judges the dose tolerated.</summary>
    public bool EligibleAtCycle(int cycle, bool tolerated) => tolerated && cycle > AfterCycles;
}
