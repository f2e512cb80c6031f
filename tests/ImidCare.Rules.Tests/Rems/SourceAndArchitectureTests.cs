using System.Reflection;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using Shouldly;

namespace ImidCare.Rules.Tests.Rems;

public class SourceTests
{
    private static readonly string[] Tags = ["S", "S2", "T", "I"];

    public static TheoryData<string> ProgramIds => [.. ProgramCatalog.All.Select(p => p.Id)];

    [Theory]
    [MemberData(nameof(ProgramIds))]
    public void Parameters_EveryOneHasASource_AndThirdPartyOrInferredIsUnverified(string id)
    {
        foreach (var (name, _, source) in ProgramCatalog.Find(id)!.Parameters())
        {
            source.Document.ShouldNotBeNullOrWhiteSpace(name);
            Tags.ShouldContain(source.Evidence, name);
            if (source.Evidence is "T" or "I")
            {
                source.Unverified.ShouldBeTrue(name);
            }
        }
    }

    [Fact]
    public void Parameters_BmsUnverifiedTimingRules_AreFlagged()
    {
        foreach (var p in new[] { ProgramCatalog.Lenalidomide, ProgramCatalog.Pomalidomide, ProgramCatalog.Thalidomide })
        {
            p.AuthorizationFromLastTest.Source.Unverified.ShouldBeTrue();
            p.AuthorizationFromIssue.Source.Unverified.ShouldBeTrue();
            p.ConfirmationValidity.Source.Unverified.ShouldBeTrue();
            p.NextFillWhenDaysRemainAtMost.Source.Unverified.ShouldBeTrue();
            p.MaxDaysSupply.Source.Unverified.ShouldBeFalse();
            p.PreStartTests.ShouldAllBe(t => !t.Source.Unverified);
        }
    }

    private static IEnumerable<Decision> SampleDecisions()
    {
        var today = Ny.Date(2026, 6, 15);
        yield return new AuthorizationFactsBuilder().Evaluate().Decision;
        yield return new AuthorizationFactsBuilder().Category(RiskCategory.AdultFemaleCanGetPregnant).NegativeTestOn(today.PlusDays(-2)).Evaluate().Decision;
        yield return new AuthorizationFactsBuilder().Category(RiskCategory.AdultFemaleCanGetPregnant).Prescriber(null).DaysSupply(0).Hold("X").Evaluate().Decision;
        yield return new ConfirmationFactsBuilder().Confirm().Decision;
        yield return (new ConfirmationFactsBuilder() with { LastSurvey = null, Pharmacy = null }).Confirm().Decision;
        yield return new DispenseFactsBuilder().Dispense();
        yield return SurveyRules.Evaluate(new PatientSurveyAnswers(true, true, true, true, true, true), RiskCategory.AdultMale).Decision;
        yield return RiskCategoryRules.Derive(new ReproductiveFacts(Sex.Female, Ny.Date(2000, 1, 1), true, false, false, false), CategoryScheme.SexAndAge, 18, today).Decision;
    }

    [Fact]
    public void Decisions_EveryReasonCarriesASource()
    {
        foreach (var d in SampleDecisions())
        {
            d.Reasons.ShouldNotBeEmpty();
            foreach (var r in d.Reasons)
            {
                r.Source.ShouldNotBeNull(r.Code);
                r.Source.Document.ShouldNotBeNullOrWhiteSpace(r.Code);
                Tags.ShouldContain(r.Source.Evidence, r.Code);
                r.Unverified.ShouldBe(r.Source.Unverified);
                if (r.Source.Evidence is "T" or "I")
                {
                    r.Unverified.ShouldBeTrue(r.Code);
                }
            }

            d.UsesUnverifiedRules.ShouldBe(d.Reasons.Any(r => r.Unverified));
        }
    }
}

/// <summary>The rules stay pure: no storage, no web, no ambient clock (in the spirit of NodaTime's MutabilityTest).</summary>
public class ArchitectureTests
{
    private static readonly string[] ForbiddenAssemblies = ["Microsoft.EntityFrameworkCore", "Microsoft.AspNetCore", "Npgsql", "Microsoft.Data.Sqlite"];

    private static readonly string[] ForbiddenClocks = ["DateTime.Now", "DateTime.UtcNow", "DateTimeOffset.Now", "DateTimeOffset.UtcNow", "SystemClock.Instance"];

    [Fact]
    public void RulesAssembly_ReferencesNoStorageOrWebAssembly()
    {
        var rules = typeof(Decision).Assembly;
        rules.GetName().Name.ShouldBe("ImidCare.Rules");
        var referenced = rules.GetReferencedAssemblies().Select(a => a.Name ?? string.Empty).ToList();
        referenced.ShouldContain("NodaTime");
        foreach (var name in referenced)
        {
            ForbiddenAssemblies.ShouldNotContain(f => name.StartsWith(f, StringComparison.OrdinalIgnoreCase), $"ImidCare.Rules references {name}");
        }
    }

    [Fact]
    public void RulesSource_ReadsNoAmbientClock()
    {
        var root = RepositoryRoot();
        var files = Directory.EnumerateFiles(Path.Combine(root, "src", "ImidCare.Rules"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        files.ShouldNotBeEmpty();
        var offences = (from file in files
                        from line in File.ReadLines(file).Select((text, i) => (text, number: i + 1))
                        from clock in ForbiddenClocks
                        where line.text.Contains(clock, StringComparison.Ordinal)
                        select $"{Path.GetRelativePath(root, file)}:{line.number}: {clock}").ToList();
        offences.ShouldBeEmpty();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ImidCare.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No ImidCare.slnx above {AppContext.BaseDirectory}.");
    }

    [Fact]
    public void RulesTypes_PublicRecordsHaveNoPublicSetters()
    {
        // Decisions and facts are values: init-only, never settable after construction.
        var settable = typeof(Decision).Assembly.GetExportedTypes()
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(p => p.SetMethod is { IsPublic: true } set
                && !set.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.FullName == "System.Runtime.CompilerServices.IsExternalInit"))
            .Select(p => $"{p.DeclaringType!.Name}.{p.Name}")
            .ToList();
        settable.ShouldBeEmpty();
    }
}
