using System.Collections.Immutable;

namespace ImidCare.Rules.Therapy;

/// <summary>Action levels, most urgent first (the enum order is the urgency order).</summary>
public enum ActionLevel
{
    EmergencyNow,
    StopAndCall,
    CallYourProvider,
    MentionAtNextVisit,
}

/// <summary>One Medication Guide symptom cluster for one drug, with the patient-facing wording.</summary>
public sealed record SymptomRule(
    string Id,
    Drug Drug,
    ActionLevel Level,
    string Symptoms,
    string PatientAdvice,
    ImmutableArray<string> Keywords,
    RuleSource Source);

public sealed record TriageMatch(string RuleId, ActionLevel Level, string Symptoms, string PatientAdvice, RuleSource Source);

public sealed record TriageResult(ActionLevel? Level, string PatientMessage, ImmutableArray<TriageMatch> Matches, ImmutableArray<string> UnknownSymptomIds, Decision Decision)
{
    public bool UsesUnverifiedRules => Decision.UsesUnverifiedRules;
}

/// <summary>Medication Guide triage (clinical-rules §5; addendum F). Rows are per drug because the guides differ.</summary>
public static class SymptomTriage
{
    private const string Emergency = "Get emergency medical help right away (call 911).";
    private const string StopCall = "Stop taking your medicine and call your healthcare provider right away.";
    private const string CallNow = "Call your healthcare provider or get medical help right away.";
    private const string Mention = "Tell your healthcare provider at your next visit, or sooner if it gets worse.";

    private static readonly RuleSource PomSeed = Sources.Verified("POMALYST ISI (shared/seeds/001; clinical-rules §5.1)", "L-V");
    private static readonly RuleSource PomSite = Sources.Verified("pomalyst.com serious side effects (clinical-rules §5.1; addendum F)", "L-V");
    private static readonly RuleSource PomK = Sources.Unverified("POMALYST Medication Guide (clinical-rules §5.1)", "K");
    private static readonly RuleSource LenK = Sources.Unverified("REVLIMID Medication Guide (clinical-rules §5.2; addendum F: symptom lists STILL UNCONFIRMED)", "K");
    // The only text is a 2015 Medication Guide copy (rxlist), an older label, and addendum F calls REVLIMID PARTIAL.
    private static readonly RuleSource LenPreg = Sources.Unverified("REVLIMID Medication Guide pregnancy (rxlist 2015; clinical-rules §5.2; addendum F: PARTIAL)", "L-OLD");
    private static readonly RuleSource ThalLs = Sources.Unverified("THALOMID Medication Guide via patient leaflets (clinical-rules §5.3)", "L-S");
    private static readonly RuleSource ThalK = Sources.Unverified("THALOMID Medication Guide (clinical-rules §5.3)", "K");

    private static ImmutableArray<string> K(params string[] words) => [.. words];

    private static readonly ImmutableArray<string> AllergyWords = K("swelling of lips", "swollen lips", "swollen tongue", "swollen throat", "throat swelling", "trouble breathing", "trouble swallowing", "hives", "very fast heartbeat", "faint", "anaphylaxis");
    private static readonly ImmutableArray<string> ClotWords = K("shortness of breath", "short of breath", "chest pain", "arm swelling", "leg swelling", "swollen leg", "swollen arm", "blood clot");
    private static readonly ImmutableArray<string> StrokeWords = K("sudden numbness", "weakness on one side", "severe headache", "confusion", "problems with vision", "trouble speaking", "problems with speech", "loss of balance");
    private static readonly ImmutableArray<string> SkinWords = K("rash", "peeling", "blisters", "severe itching", "skin peeling");
    private static readonly ImmutableArray<string> NerveWords = K("numbness", "tingling", "burning", "pins and needles");
    private static readonly ImmutableArray<string> LiverWords = K("yellow skin", "yellow eyes", "jaundice", "dark urine", "tea-colored urine", "right side pain", "upper right abdomen");
    private static readonly ImmutableArray<string> PregnancyWords = K("pregnant", "missed period", "late period", "unusual menstrual bleeding", "positive pregnancy test");
    private static readonly ImmutableArray<string> InfectionWords = K("fever", "chills", "infection");
    private static readonly ImmutableArray<string> BleedingWords = K("bleeding", "bruising", "bruise easily");

    public static readonly ImmutableArray<SymptomRule> All =
    [
        new("pom-allergy", Drug.Pomalidomide, ActionLevel.EmergencyNow, "Swelling of lips, mouth, tongue or throat; trouble breathing or swallowing; hives; very fast heartbeat; feeling dizzy or faint", Emergency, AllergyWords, PomSeed),
        new("pom-pregnancy", Drug.Pomalidomide, ActionLevel.StopAndCall, "Pregnant or think you may be; missed period or unusual menstrual bleeding", StopCall + " If you cannot reach them, call the REMS Call Center at 1-888-423-5436.", PregnancyWords, PomSite),
        new("pom-partner-pregnancy", Drug.Pomalidomide, ActionLevel.CallYourProvider, "Your female partner becomes pregnant", "Call your healthcare provider right away.", K("partner pregnant", "girlfriend pregnant", "wife pregnant"), PomSite),
        new("pom-nerve", Drug.Pomalidomide, ActionLevel.StopAndCall, "Numbness, tingling, pain or a burning feeling in your hands, legs or feet", StopCall, NerveWords, PomSeed),
        new("pom-clot", Drug.Pomalidomide, ActionLevel.CallYourProvider, "Shortness of breath, chest pain, or arm or leg swelling", CallNow, ClotWords, PomSeed),
        new("pom-heart-attack", Drug.Pomalidomide, ActionLevel.CallYourProvider, "Chest pain that may spread to the arms, neck, jaw, back or stomach; sweating; shortness of breath; feeling sick or vomiting", CallNow, K("chest pain spreading", "pain in jaw", "sweaty", "vomiting"), PomSeed),
        new("pom-stroke", Drug.Pomalidomide, ActionLevel.CallYourProvider, "Sudden numbness or weakness (especially one side), severe headache or confusion, problems with vision, speech or balance", CallNow, StrokeWords, PomSeed),
        new("pom-skin", Drug.Pomalidomide, ActionLevel.CallYourProvider, "A red, itchy skin rash; peeling skin or blisters; severe itching", CallNow, SkinWords, PomSeed),
        new("pom-fever", Drug.Pomalidomide, ActionLevel.CallYourProvider, "Fever", CallNow, InfectionWords, PomSeed),
        new("pom-liver", Drug.Pomalidomide, ActionLevel.CallYourProvider, "Yellowing of skin or eyes, dark or tea-colored urine, pain on the upper right side of the abdomen, bleeding or bruising more easily, feeling very tired", "Tell your healthcare provider right away.", LiverWords, PomSeed),
        new("pom-bleeding", Drug.Pomalidomide, ActionLevel.CallYourProvider, "Unusual bleeding or bruising", "Tell your healthcare provider right away.", BleedingWords, PomK),
        new("pom-tls", Drug.Pomalidomide, ActionLevel.CallYourProvider, "Passing less urine, muscle cramps, irregular heartbeat", CallNow, K("less urine", "muscle cramps", "irregular heartbeat"), PomK),
        new("pom-dizziness", Drug.Pomalidomide, ActionLevel.MentionAtNextVisit, "Dizziness or confusion", "Avoid driving and other drugs that cause dizziness; tell your healthcare provider.", K("dizzy", "dizziness"), PomK),

        new("len-allergy", Drug.Lenalidomide, ActionLevel.EmergencyNow, "Hives; swelling of face, lips, tongue or throat; trouble breathing", Emergency, AllergyWords, LenK),
        new("len-pregnancy", Drug.Lenalidomide, ActionLevel.StopAndCall, "Pregnant or think you may be; missed period or unusual menstrual bleeding", StopCall, PregnancyWords, LenPreg),
        new("len-clot", Drug.Lenalidomide, ActionLevel.CallYourProvider, "Blood clot, heart attack or stroke signs (shortness of breath, chest pain, arm or leg swelling, sudden numbness or weakness)", "Call your healthcare provider or get emergency medical help right away.", ClotWords.AddRange(StrokeWords), LenK),
        new("len-counts", Drug.Lenalidomide, ActionLevel.CallYourProvider, "Fever, chills or other signs of infection; unusual bleeding or bruising", "Tell your healthcare provider right away.", InfectionWords.AddRange(BleedingWords), LenK),
        new("len-skin", Drug.Lenalidomide, ActionLevel.CallYourProvider, "Rash with blistering or peeling, or with fever", CallNow, SkinWords, LenK),
        new("len-liver", Drug.Lenalidomide, ActionLevel.CallYourProvider, "Yellowing of skin or eyes, dark urine, upper right stomach pain, easy bruising, tiredness", "Tell your healthcare provider right away.", LiverWords, LenK),
        new("len-tls", Drug.Lenalidomide, ActionLevel.CallYourProvider, "Passing less urine, muscle cramps, irregular heartbeat (tumor lysis syndrome)", CallNow, K("less urine", "muscle cramps", "irregular heartbeat"), LenK),
        new("len-flare", Drug.Lenalidomide, ActionLevel.CallYourProvider, "Tender swollen lymph nodes, low-grade fever, pain or rash (tumor flare)", CallNow, K("swollen lymph nodes", "tender lymph nodes", "swollen glands"), LenK),
        new("len-thyroid", Drug.Lenalidomide, ActionLevel.MentionAtNextVisit, "New or worse thyroid problems", Mention, K("thyroid"), LenK),

        new("thal-nerve", Drug.Thalidomide, ActionLevel.StopAndCall, "Numbness, tingling, pain or burning in your hands or feet (nerve damage may be permanent)", StopCall, NerveWords, ThalK),
        new("thal-pregnancy", Drug.Thalidomide, ActionLevel.StopAndCall, "Pregnant or think you may be; missed period or unusual menstrual bleeding", StopCall, PregnancyWords, ThalK),
        new("thal-seizure-allergy", Drug.Thalidomide, ActionLevel.EmergencyNow, "Seizure; severe allergic reaction (hives, swelling, trouble breathing)", Emergency, AllergyWords.Add("seizure").Add("convulsion"), ThalLs),
        new("thal-clot", Drug.Thalidomide, ActionLevel.CallYourProvider, "Blood clot, heart attack or stroke signs", "Call your healthcare provider or get emergency medical help right away.", ClotWords.AddRange(StrokeWords), ThalLs),
        new("thal-slow-heart", Drug.Thalidomide, ActionLevel.CallYourProvider, "Slow heartbeat, dizziness, fainting", CallNow, K("slow heartbeat", "fainting", "dizzy", "dizziness"), ThalLs),
        new("thal-skin", Drug.Thalidomide, ActionLevel.CallYourProvider, "Severe skin reaction (rash, blisters, peeling)", CallNow, SkinWords, ThalLs),
        new("thal-drowsy", Drug.Thalidomide, ActionLevel.MentionAtNextVisit, "Drowsiness", "Avoid driving, alcohol and sedatives; tell your healthcare provider.", K("drowsy", "sleepy", "drowsiness"), ThalLs),
    ];

    /// <summary>The medicine's own list of signs, in the Medication Guide's order.</summary>
    public static IEnumerable<SymptomRule> For(Drug drug) => All.Where(r => r.Drug == drug);

    /// <summary>The medicines whose lists hold these ids: where a sign ticked on the wrong list came from.</summary>
    public static IReadOnlyList<Drug> ListsHolding(IEnumerable<string> ids) =>
        [.. All.Where(r => ids.Contains(r.Id, StringComparer.OrdinalIgnoreCase)).Select(r => r.Drug).Distinct()];

    /// <summary>Matches by symptom rule id and by keyword in free text; the most urgent match decides the level.</summary>
    public static TriageResult Triage(Drug drug, IEnumerable<string>? symptomIds = null, string? freeText = null)
    {
        var rows = For(drug).ToList();
        var matches = new List<SymptomRule>();
        var unknown = ImmutableArray.CreateBuilder<string>();
        foreach (var id in symptomIds ?? [])
        {
            var row = rows.FirstOrDefault(r => string.Equals(r.Id, id?.Trim(), StringComparison.OrdinalIgnoreCase));
            if (row is null)
            {
                unknown.Add(id ?? string.Empty);
            }
            else
            {
                matches.Add(row);
            }
        }

        if (!string.IsNullOrWhiteSpace(freeText))
        {
            var text = " " + string.Join(' ', freeText.ToLowerInvariant().Split([' ', ',', '.', ';', ':', '!', '?', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries)) + " ";
            matches.AddRange(rows.Where(r => r.Keywords.Any(k => text.Contains(" " + k, StringComparison.Ordinal))));
        }

        var distinct = matches.DistinctBy(m => m.Id).OrderBy(m => m.Level).ToList();
        if (distinct.Count == 0)
        {
            return new TriageResult(null,
                "We could not match this to a listed side effect. If you feel unwell or are worried, call your healthcare provider; in an emergency call 911.",
                [], unknown.ToImmutable(),
                Decision.HoldFor(new Reason("TRIAGE_NO_MATCH", "No Medication Guide symptom matched.", Sources.Verified("ImidCare engine: no Medication Guide row matched (clinical-rules.md §5 searched)", "engine"))));
        }

        var top = distinct[0];
        var result = distinct.Select(m => new TriageMatch(m.Id, m.Level, m.Symptoms, m.PatientAdvice, m.Source)).ToImmutableArray();
        var reasons = distinct.Select(m => new Reason("TRIAGE_" + m.Id.ToUpperInvariant().Replace('-', '_'), $"{m.Symptoms}: {m.PatientAdvice}", m.Source)).ToArray();
        var decision = top.Level == ActionLevel.MentionAtNextVisit ? Decision.Allow(reasons)
            : top.Level == ActionLevel.CallYourProvider ? Decision.HoldFor(reasons)
            : Decision.Deny(reasons);
        return new TriageResult(top.Level, top.PatientAdvice, result, unknown.ToImmutable(), decision);
    }
}
