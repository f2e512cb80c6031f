using ImidCare.Rules.Response;
using Shouldly;

namespace ImidCare.Rules.Tests.Response;

public class CtcaeTests
{
    private static readonly Dictionary<LabTerm, decimal> Lln = new()
    {
        [LabTerm.NeutrophilCountDecreased] = 2000m,
        [LabTerm.PlateletCountDecreased] = 150000m,
        [LabTerm.Anemia] = 12.0m,
    };

    public static IEnumerable<object[]> BandIndexes => Ctcae.Bands.Select((_, i) => new object[] { i });

    [Theory]
    [MemberData(nameof(BandIndexes))]
    public void EveryBand_BothEdges(int index)
    {
        var band = Ctcae.Bands[index];
        var lln = Lln[band.Term];
        var upper = band.Below ?? lln;
        var step = band.Term == LabTerm.Anemia ? 0.1m : 1m;

        Ctcae.Grade(band.Term, upper - step, lln).Grade.ShouldBe(band.Grade);
        Ctcae.Grade(band.Term, upper, lln).Grade.ShouldBe(band.Grade - 1);
        if (band.AtLeast is { } lo)
        {
            Ctcae.Grade(band.Term, lo, lln).Grade.ShouldBe(band.Grade);
            Ctcae.Grade(band.Term, lo - step, lln).Grade.ShouldBe(band.Grade + 1);
        }
    }

    [Fact]
    public void VersionIsPinned()
    {
        Ctcae.Version.ShouldBe("CTCAE v5.0");
        var g = Ctcae.Grade(LabTerm.NeutrophilCountDecreased, 400m, 2000m);
        g.Version.ShouldBe("CTCAE v5.0");
        g.Grade.ShouldBe(4);
        g.Decision.Reasons.Single().Message.ShouldContain("CTCAE v5.0");
    }

    [Theory]
    [InlineData(999, 38.4, false, true)]
    [InlineData(999, 38.3, false, false)]
    [InlineData(999, 38.0, true, true)]
    [InlineData(999, 37.9, true, false)]
    [InlineData(1000, 39.0, false, false)]
    public void FebrileNeutropenia_Definition(int anc, double temp, bool sustained, bool expected) =>
        Ctcae.IsFebrileNeutropenia(anc, (decimal)temp, sustained).ShouldBe(expected);

    [Fact]
    public void BadInput_IsArgumentException()
    {
        Should.Throw<ArgumentException>(() => Ctcae.Grade(LabTerm.Anemia, -1m, 12m));
        Should.Throw<ArgumentException>(() => Ctcae.Grade(LabTerm.Anemia, 10m, 0m));
    }
}
