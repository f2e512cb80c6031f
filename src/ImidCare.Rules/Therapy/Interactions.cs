using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text;

namespace ImidCare.Rules.Therapy;

public enum InteractionSeverity
{
    Avoid,
    Caution,
    Monitor,
    NotRecommended,
}

/// <summary>
/// One interaction row. Names are lower-case generic and brand names matched as whole words;
/// RxNorm codes are ingredient RxCUIs (recalled, to be checked against RxNav before release).
/// </summary>
public sealed record InteractionRule(
    string Id,
    Drug Drug,
    string Class,
    ImmutableArray<string> Names,
    ImmutableArray<string> RxNormCodes,
    InteractionSeverity Severity,
    string Effect,
    string Action,
    decimal? DoseCapMg,
    RuleSource Source);

public sealed record InteractionWarning(string RuleId, string Medication, string Class, InteractionSeverity Severity, string Effect, string Action, decimal? DoseCapMg, RuleSource Source);

public sealed record InteractionReport(Drug Drug, ImmutableArray<InteractionWarning> Warnings, ImmutableArray<string> Unrecognized, decimal? DoseCapMg, Decision Decision)
{
    public bool UsesUnverifiedRules => Decision.UsesUnverifiedRules;
}

/// <summary>Curated interaction table (clinical-rules §4; addendum B, C).</summary>
public static class Interactions
{
    // Action (2 mg) is CONFIRMED; the example drug list is not in US label text (addendum B: STILL UNCONFIRMED).
    private static readonly RuleSource Cyp1a2 = Sources.Unverified("POMALYST PI §7 strong CYP1A2 inhibitors -> 2 mg (pomalysthcp.com); example list EU SmPC (addendum B)", "L-S");
    private static readonly RuleSource LenEsa = Sources.Unverified("REVLIMID PI §7 ESAs/estrogens (Davis; addendum C wording unconfirmed)", "L-S");
    private static readonly RuleSource LenDigoxin = Sources.Unverified("REVLIMID PI §7 digoxin (addendum C: STILL UNCONFIRMED)", "K");
    private static readonly RuleSource LenWarfarin = Sources.Unverified("REVLIMID PI §7 warfarin (clinical-rules §4)", "K");
    private static readonly RuleSource ThalDruglib = Sources.Verified("THALOMID PI §7 (druglib.com interactions page; clinical-rules §4)", "L-S");
    private static readonly RuleSource ThalVte = Sources.Verified("THALOMID PI ESAs/estrogens VTE (pdr.net; clinical-rules §4)", "L-S");
    private static readonly RuleSource Pembro = Sources.Verified("IMiD PI W&P increased mortality with pembrolizumab (docslib highlights; clinical-rules §4)", "L-V");
    private static readonly RuleSource ThalContraception = Sources.Unverified("THALOMID PI: drugs that reduce the effectiveness of hormonal contraceptives (clinical-rules §4)", "K");
    private static readonly RuleSource PomDizzy = Sources.Unverified("POMALYST PI dizziness/confusion (120ty.net 2013 label; clinical-rules §4)", "L-OLD");

    private static ImmutableArray<string> N(params string[] names) => [.. names];

    private static readonly ImmutableArray<string> EsaNames = N("epoetin alfa", "epoetin", "epogen", "procrit", "retacrit", "darbepoetin", "darbepoetin alfa", "aranesp");
    private static readonly ImmutableArray<string> EsaCodes = ["105694", "283838"];
    private static readonly ImmutableArray<string> EstrogenNames = N("estradiol", "ethinyl estradiol", "conjugated estrogens", "premarin", "estrace", "yaz", "loestrin", "ortho tri-cyclen", "estrogen");
    private static readonly ImmutableArray<string> EstrogenCodes = ["4083", "4124"];

    public static readonly ImmutableArray<InteractionRule> All =
    [
        new("pom-cyp1a2", Drug.Pomalidomide, "Strong CYP1A2 inhibitor",
            N("ciprofloxacin", "cipro", "fluvoxamine", "luvox", "enoxacin", "penetrex"), ["2551", "42355", "3925"],
            InteractionSeverity.Avoid, "Increases pomalidomide exposure (fluvoxamine +125%).",
            "Avoid. If concomitant use is unavoidable, reduce pomalidomide to 2 mg.", 2m, Cyp1a2),
        new("pom-dizziness", Drug.Pomalidomide, "Drugs causing dizziness or confusion",
            N("lorazepam", "ativan", "alprazolam", "xanax", "diazepam", "valium", "zolpidem", "ambien", "oxycodone", "morphine", "gabapentin", "pregabalin"), ["6470", "596", "3322", "39993", "7804", "7052", "25480", "187832"],
            InteractionSeverity.Caution, "Additive dizziness or confusion.", "Avoid other drugs that may cause dizziness or confusion without medical advice.", null, PomDizzy),

        new("len-esa", Drug.Lenalidomide, "Erythropoiesis-stimulating agent", EsaNames, EsaCodes,
            InteractionSeverity.Caution, "Increased risk of thrombosis.", "Use with caution after benefit-risk assessment.", null, LenEsa),
        new("len-estrogen", Drug.Lenalidomide, "Estrogen-containing therapy", EstrogenNames, EstrogenCodes,
            InteractionSeverity.Caution, "Increased risk of thrombosis.", "Use with caution after benefit-risk assessment.", null, LenEsa),
        new("len-digoxin", Drug.Lenalidomide, "Digoxin", N("digoxin", "lanoxin"), ["3407"],
            InteractionSeverity.Monitor, "Digoxin Cmax and AUC up about 14%.", "Periodically monitor digoxin plasma levels.", null, LenDigoxin),
        new("len-warfarin", Drug.Lenalidomide, "Warfarin", N("warfarin", "coumadin", "jantoven"), ["11289"],
            InteractionSeverity.Monitor, "No PK interaction; PT/INR changes as expected.", "Monitor PT/INR closely.", null, LenWarfarin),

        new("thal-sedatives", Drug.Thalidomide, "CNS depressant (sedation)",
            N("oxycodone", "morphine", "hydrocodone", "diphenhydramine", "benadryl", "quetiapine", "seroquel", "olanzapine", "lorazepam", "ativan", "alprazolam", "xanax", "diazepam", "zolpidem", "alcohol"),
            ["7804", "7052", "5489", "3498", "51272", "61381", "6470", "596", "3322", "39993"],
            InteractionSeverity.Avoid, "Additive sedation.", "Should be avoided.", null, ThalDruglib),
        new("thal-bradycardic", Drug.Thalidomide, "Slows cardiac conduction (bradycardia)",
            N("metoprolol", "atenolol", "carvedilol", "propranolol", "diltiazem", "verapamil", "digoxin", "lanoxin", "famotidine", "cimetidine", "lithium", "amitriptyline", "nortriptyline", "succinylcholine"),
            ["6918", "1202", "20352", "8787", "3443", "11170", "3407", "4278", "2541", "6448", "704", "7531", "10154"],
            InteractionSeverity.Caution, "Additive bradycardia.", "Use with caution.", null, ThalDruglib),
        new("thal-neuropathic", Drug.Thalidomide, "Causes peripheral neuropathy",
            N("bortezomib", "velcade", "amiodarone", "cisplatin", "docetaxel", "paclitaxel", "vincristine", "disulfiram", "phenytoin", "dilantin", "metronidazole", "flagyl"),
            ["358258", "703", "2555", "72962", "56946", "11202", "3554", "8183", "6922"],
            InteractionSeverity.Caution, "Additive peripheral neuropathy.", "Use with caution.", null, ThalDruglib),
        new("thal-esa-estrogen", Drug.Thalidomide, "ESA or estrogen-containing agent", EsaNames.AddRange(EstrogenNames), EsaCodes.AddRange(EstrogenCodes),
            InteractionSeverity.Caution, "Increased venous thromboembolism risk.", "Use with caution.", null, ThalVte),
        // The REMS rests on contraception that works: these make a hormonal method fail.
        new("thal-contraceptive-failure", Drug.Thalidomide, "Reduces the effectiveness of hormonal contraceptives",
            N("ritonavir", "norvir", "lopinavir", "kaletra", "atazanavir", "darunavir", "griseofulvin", "modafinil", "provigil", "penicillin", "amoxicillin", "ampicillin",
                "rifampin", "rifampicin", "rifadin", "rifabutin", "mycobutin", "phenytoin", "dilantin", "carbamazepine", "tegretol", "st john's wort", "st johns wort", "hypericum"),
            ["85762", "5021", "30125", "723", "9384", "55672", "8183", "2002"],
            InteractionSeverity.Caution, "A hormonal contraceptive may fail.",
            "A patient who can get pregnant and takes one of these should use two other effective or highly effective methods of contraception.", null, ThalContraception),

        .. new[] { Drug.Pomalidomide, Drug.Lenalidomide, Drug.Thalidomide }.Select(d => new InteractionRule(
            $"{d.ToString().ToLowerInvariant()[..3]}-pembrolizumab", d, "PD-1 antibody", N("pembrolizumab", "keytruda"), ["1547545"],
            InteractionSeverity.NotRecommended, "Increased mortality in myeloma trials with a thalidomide analogue and dexamethasone.",
            "Not recommended outside controlled trials.", null, Pembro)),
    ];

    /// <summary>Checks a medication list given as names (generic or brand, any case, strength text allowed) or RxNorm codes.</summary>
    public static InteractionReport Check(Drug drug, IEnumerable<string> medications)
    {
        ArgumentNullException.ThrowIfNull(medications);
        var warnings = ImmutableArray.CreateBuilder<InteractionWarning>();
        var unrecognized = ImmutableArray.CreateBuilder<string>();
        foreach (var med in medications)
        {
            if (string.IsNullOrWhiteSpace(med))
            {
                throw new ArgumentException("Medication entries cannot be empty.", nameof(medications));
            }

            var normalized = " " + Normalize(med) + " ";
            var code = med.Trim();
            var hit = false;
            foreach (var rule in All.Where(r => r.Drug == drug))
            {
                if (rule.RxNormCodes.Contains(code) || rule.Names.Any(n => normalized.Contains(Padded[n], StringComparison.Ordinal)))
                {
                    hit = true;
                    warnings.Add(new InteractionWarning(rule.Id, med.Trim(), rule.Class, rule.Severity, rule.Effect, rule.Action, rule.DoseCapMg, rule.Source));
                }
            }

            if (!hit && !All.Any(r => r.RxNormCodes.Contains(code) || r.Names.Any(n => normalized.Contains(Padded[n], StringComparison.Ordinal))))
            {
                unrecognized.Add(med.Trim());
            }
        }

        var list = warnings.ToImmutable();
        var cap = list.Where(w => w.DoseCapMg is not null).Select(w => w.DoseCapMg).Min();
        var reasons = list.Select(w => new Reason("INTERACTION_" + w.RuleId.ToUpperInvariant().Replace('-', '_'),
            $"{w.Medication} ({w.Class}): {w.Effect} {w.Action}", w.Source)).ToArray();
        var decision = list.Any(w => w.Severity is InteractionSeverity.Avoid or InteractionSeverity.NotRecommended)
            ? Decision.HoldFor(reasons)
            : Decision.Allow(reasons);
        return new InteractionReport(drug, list, unrecognized.ToImmutable(), cap, decision);
    }

    // Each name as it is looked for in a normalized entry: "st john's wort" is written as people write it and found as "st john s wort".
    private static readonly FrozenDictionary<string, string> Padded =
        All.SelectMany(r => r.Names).Distinct().ToFrozenDictionary(n => n, n => " " + Normalize(n) + " ");

    private static string Normalize(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s.Trim().ToLowerInvariant())
        {
            sb.Append(char.IsLetterOrDigit(c) || c == '-' ? c : ' ');
        }

        return string.Join(' ', sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }
}
