namespace ImidCare.Rules.Therapy;

/// <summary>The three thalidomide analogues this engine covers.</summary>
public enum Drug
{
    Pomalidomide,
    Lenalidomide,
    Thalidomide,
}

/// <summary>
/// Labelled indications. Lenalidomide maintenance is its own indication because its label
/// rows (dose, ladder, neutropenia cut-off) differ from the combination regimen.
/// </summary>
public enum Indication
{
    MultipleMyeloma,
    MultipleMyelomaMaintenance,
    KaposiSarcoma,
    MyelodysplasticSyndromes,
    MantleCellLymphoma,
    FollicularOrMarginalZoneLymphoma,
    ErythemaNodosumLeprosum,
}

/// <summary>Age bands used by dexamethasone and partner-drug rows; the labels differ on 75 inclusive vs exclusive.</summary>
public enum AgeBand
{
    Any,
    AtMost75,
    Over75,
    Under75,
    AtLeast75,
}

public static class AgeBands
{
    public static bool Matches(this AgeBand band, int ageYears) => band switch
    {
        AgeBand.AtMost75 => ageYears <= 75,
        AgeBand.Over75 => ageYears > 75,
        AgeBand.Under75 => ageYears < 75,
        AgeBand.AtLeast75 => ageYears >= 75,
        _ => true,
    };
}
