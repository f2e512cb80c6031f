using ImidCare.Rules.Programs;
using ImidCare.Server.Tests.Support;
using ImidCare.Server.Web;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>
/// The pages name the programs as the programs name themselves (facts §1, addendum §E): the
/// Lenalidomide REMS (formerly REVLIMID REMS), the PS-Pomalidomide REMS (POMALYST and generics),
/// the THALOMID REMS.
/// </summary>
public sealed class ProgramNamesTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Theory]
    [InlineData("LEN")]
    [InlineData("POM")]
    [InlineData("THAL")]
    public void Words_Program_IsTheProgramsOwnName(string id) => Words.Program(id).ShouldBe(ProgramCatalog.Find(id)!.Name);

    [Theory]
    [InlineData("lenalidomide", "Lenalidomide REMS")]
    [InlineData("pomalidomide", "PS-Pomalidomide REMS")]
    [InlineData("thalidomide", "THALOMID REMS")]
    public async Task WalletCard_NamesTheProgram(string drug, string program)
    {
        using var c = app.WebClient();
        var html = await c.GetStringAsync($"/learn/wallet-card?drug={drug}");
        html.ShouldContain($"dispensed only through the {program} program");
    }
}
