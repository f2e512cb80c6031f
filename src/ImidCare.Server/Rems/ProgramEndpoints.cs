using ImidCare.Rules.Programs;
using ImidCare.Server.Infrastructure;

namespace ImidCare.Server.Rems;

public sealed record ParameterDto(string Name, object? Value, string Source, string Evidence, bool Unverified);

public sealed record ProgramDto(string Id, string Name, string Version, string EffectiveFrom, IReadOnlyList<string> Drugs, string AgreementTextVersion, IReadOnlyList<ParameterDto> Parameters)
{
    public static ProgramDto From(ProgramRules p) => new(
        p.Id, p.Name, p.Version, p.EffectiveFrom.ToString("yyyy-MM-dd", null), p.Drugs, p.AgreementTextVersion,
        [.. p.Parameters().Select(x => new ParameterDto(x.Name, x.Value?.ToString(), x.Source.Document, x.Source.Evidence, x.Source.Unverified))]);
}

public static class ProgramEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/programs", () => Results.Json(ProgramCatalog.All.Select(ProgramDto.From), Json.Options))
            .WithSummary("The REMS programs and every parameter with its source and evidence tag.");
        api.MapGet("/programs/{id}", (string id) => ProgramCatalog.Find(id) is { } p
            ? Results.Json(ProgramDto.From(p), Json.Options)
            : Problems.NotFound($"Program '{id}'").ToResult());
    }
}
