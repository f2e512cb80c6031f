namespace ImidCare.Server.Web;

/// <summary>A drug page in plain words (restated from the public patient pages in shared/seeds; not a label).</summary>
public sealed record DrugGuide(string Id, string Name, string Brand, string Program, string Treats, string HowToTake, IReadOnlyList<string> CommonSideEffects,
    IReadOnlyList<string> SeriousSideEffects, string Rems, string Approval, string Generic);

/// <summary>The companion's curated content: drug pages, self-care and caregiver tips, resources, phone numbers.</summary>
public static class Guides
{
    public const string RemsCallCenter = "1-888-423-5436";
    public const string MedWatch = "1-800-FDA-1088";
    public const string Emergency = "911";

    private const string RemsCommon = "Because this medicine can cause severe birth defects, it is only available through a REMS program. " +
        "You, your prescriber and your pharmacy are each enrolled. Before each prescription you may need a survey and, if you can get pregnant, a pregnancy test. " +
        "Never share capsules; do not donate blood during treatment, during breaks and for 4 weeks after. Men: do not donate sperm during treatment or breaks; " +
        "the 4 weeks after are our reading of the label, not verified (ask your prescriber).";

    public static readonly IReadOnlyList<DrugGuide> Drugs =
    [
        new("pomalidomide", "Pomalidomide", "Pomalyst", "POM",
            "Multiple myeloma in adults who have already had at least two treatments (including lenalidomide and a proteasome inhibitor), taken with dexamethasone; also Kaposi sarcoma.",
            "One capsule by mouth at about the same time each day, with or without food, on days 1 to 21 of each 28-day cycle. Swallow whole with water; do not open, break or chew.",
            ["Tiredness and weakness", "Constipation", "Nausea", "Diarrhea", "Shortness of breath", "Upper respiratory infections", "Back pain", "Fever"],
            ["Blood clots in the legs or lungs, heart attack, stroke", "Low white cells, platelets or red cells", "Severe allergic reactions", "Numbness or tingling in hands and feet"],
            RemsCommon, "FDA approved in 2013.", "Ask your pharmacist whether a generic is available; this changes over time."),
        new("lenalidomide", "Lenalidomide", "Revlimid", "LEN",
            "Multiple myeloma (with dexamethasone, and as maintenance after a stem cell transplant), some myelodysplastic syndromes, and some lymphomas.",
            "One capsule by mouth at about the same time each day, as your prescriber set the cycle (often days 1 to 21 of 28). Swallow whole with water.",
            ["Tiredness", "Diarrhea or constipation", "Low blood counts", "Rash and itching", "Muscle cramps"],
            ["Blood clots", "Very low blood counts", "Severe skin reactions", "Liver problems"],
            RemsCommon, "FDA approved in 2005.", "Generic lenalidomide has been sold in the US since 2022; ask your pharmacist."),
        new("thalidomide", "Thalidomide", "Thalomid", "THAL",
            "Newly diagnosed multiple myeloma (with dexamethasone), and skin sores of erythema nodosum leprosum (ENL).",
            "Once a day with water, usually at bedtime (it can make you sleepy), at least 1 hour after the evening meal. Swallow whole.",
            ["Sleepiness", "Constipation", "Dizziness when standing up", "Numbness or tingling"],
            ["Blood clots", "Nerve damage in hands and feet", "Slow heartbeat", "Severe skin reactions"],
            RemsCommon, "FDA approved in 1998 (ENL) and 2006 (multiple myeloma).", "Ask your pharmacist whether a generic is available; this changes over time."),
    ];

    public static DrugGuide? Find(string id) => Drugs.FirstOrDefault(d => d.Id.Equals(id, StringComparison.OrdinalIgnoreCase));

    public static readonly IReadOnlyList<(string Topic, IReadOnlyList<string> Tips)> SelfCare =
    [
        ("Fatigue", ["Plan the most important things for the time of day you feel best.", "Short walks help more than rest alone.", "Ask for help with chores and meals.", "Tell your care team if tiredness stops you from daily activities: it may be low blood counts."]),
        ("Constipation", ["Drink plenty of fluids through the day.", "Eat fruit, vegetables and whole grains; move a little every day.", "Ask your care team before taking any laxative or stool softener.", "Call if you have not had a bowel movement in 3 days or have belly pain."]),
        ("Nausea", ["Eat small meals often; try bland foods and cold foods.", "Avoid strong smells, greasy and spicy food.", "Take anti-nausea medicine the way your prescriber told you.", "Call if you cannot keep liquids down for a day."]),
    ];

    public static readonly IReadOnlyList<string> CaregiverTips =
    [
        "Be patient: let your loved one choose when and what to talk about.",
        "Keep a shared list of medicines, appointments, lab dates and questions for the next visit.",
        "Learn the warning signs (blood clots, fever, severe rash) and the phone numbers on the wallet card.",
        "Wear gloves if you handle capsules or blister packs, especially if you could get pregnant.",
        "Look after yourself too: accept help, and consider a caregiver support group.",
    ];

    public static readonly IReadOnlyList<(string Kind, string Name, string What, string Url)> Resources =
    [
        ("Support group", "International Myeloma Foundation (IMF)", "InfoLine, support groups and patient seminars.", "https://www.myeloma.org"),
        ("Support group", "Multiple Myeloma Research Foundation (MMRF)", "Patient navigation and education.", "https://themmrf.org"),
        ("Support group", "Leukemia & Lymphoma Society (LLS)", "Information specialists, peer support, co-pay assistance.", "https://www.lls.org"),
        ("Financial assistance", "Manufacturer patient support programs", "Help with insurance, prior authorization and costs: ask your specialty pharmacy which program serves your medicine.", "https://www.bms.com"),
        ("Co-pay program", "Patient Advocate Foundation Co-Pay Relief", "Co-pay help for eligible insured patients.", "https://www.copays.org"),
        ("Co-pay program", "HealthWell Foundation", "Grants toward co-pays and premiums for eligible patients.", "https://www.healthwellfoundation.org"),
    ];
}
