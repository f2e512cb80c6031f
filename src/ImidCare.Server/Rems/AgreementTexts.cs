using System.Security.Cryptography;
using System.Text;
using ImidCare.Rules.Programs;

namespace ImidCare.Server.Rems;

/// <summary>
/// The Patient-Physician Agreement text a patient signs, by version. The real PPAF wording was
/// not available (facts §2.3: "the exact PPAF wording was not retrieved"), so this text restates
/// the attestations the public summaries list; its hash is stored with each signature so the
/// signed words can always be shown again.
/// </summary>
public static class AgreementTexts
{
    public static string For(ProgramRules program) =>
        $"""
        {program.Name} — Patient-Physician Agreement ({program.AgreementTextVersion})
        I understand that this medicine can cause severe birth defects or death of an unborn baby.
        I will follow the contraception requirements for my risk category: two reliable methods at the same time
        (or no heterosexual contact) if I can get pregnant; a latex or synthetic condom every time if I am male.
        I will not share my capsules, and I will not donate blood or sperm during treatment and for 4 weeks after.
        I will complete the mandatory surveys, and the pregnancy tests my prescriber orders if I can get pregnant.
        If I or my partner may be pregnant, I will stop and call my prescriber right away.
        Content restated from public program summaries; not the official form (unverified).
        """;

    public static string Sha256(ProgramRules program) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(For(program))));
}
