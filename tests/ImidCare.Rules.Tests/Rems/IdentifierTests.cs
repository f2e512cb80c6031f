using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using ImidCare.Rules.Rems;
using Shouldly;

namespace ImidCare.Rules.Tests.Rems;

public class IdentifierTests
{
    public static TheoryData<string, bool> NpiCases => new()
    {
        { "1234567893", true }, // the CMS check-digit example
        { " 1234567893 ", true }, // surrounding blanks are trimmed
        { "1234567890", false }, // wrong check digit
        { "1234567894", false }, // one off in the check digit
        { "1234567839", false }, // two digits swapped
        { "123456789", false }, // nine digits
        { "12345678931", false }, // eleven digits
        { "12345A7893", false }, // a letter
        { "3234567893", false }, // must start with 1 or 2
        { "", false },
    };

    [Theory]
    [MemberData(nameof(NpiCases))]
    public void Npi_TryParse(string text, bool valid)
    {
        Npi.TryParse(text, out var npi, out var error).ShouldBe(valid);
        if (valid)
        {
            npi!.Value.Value.ShouldBe(text.Trim());
            error.ShouldBeNull();
        }
        else
        {
            npi.ShouldBeNull();
            error.ShouldNotBeNullOrWhiteSpace();
        }
    }

    [Fact]
    public void Npi_TryParse_Null_Fails() => Npi.TryParse(null, out _, out _).ShouldBeFalse();

    [Fact]
    public void Npi_FromNineDigits_MatchesCmsExample() => Npi.FromNineDigits("123456789").Value.ShouldBe("1234567893");

    [Fact]
    public void Npi_Parse_Invalid_Throws() => Should.Throw<FormatException>(() => Npi.Parse("1234567890"));

    [Fact]
    public void Npi_AnySingleDigitChange_IsDetected()
    {
        var payloads = Gen.Choose(0, 99_999_999).Select(n => "1" + n.ToString("D8", CultureInfo.InvariantCulture));
        Prop.ForAll(Arb.From(payloads), Arb.From(Gen.Choose(0, 9)), Arb.From(Gen.Choose(1, 9)), (nine, position, delta) =>
        {
            var valid = Npi.FromNineDigits(nine).Value;
            var chars = valid.ToCharArray();
            chars[position] = (char)('0' + ((chars[position] - '0' + delta) % 10));
            return !Npi.TryParse(new string(chars), out _, out _);
        }).QuickCheckThrowOnFailure();
    }

    public static TheoryData<string, bool> NcpdpCases => new()
    {
        { "1234563", true }, // (1+3+5) + 2×(2+4+6) = 33 → 3
        { "1234564", false },
        { "0000000", true },
        { "123456", false }, // six digits
        { "12345630", false }, // eight digits
        { "12345X3", false },
    };

    [Theory]
    [MemberData(nameof(NcpdpCases))]
    public void NcpdpId_TryParse(string text, bool valid) => NcpdpId.TryParse(text, out _, out _).ShouldBe(valid);

    [Fact]
    public void NcpdpId_CheckDigit_IsLastDigitOfOddPlusTwiceEven()
    {
        NcpdpId.CheckDigit("123456").ShouldBe(3);
        NcpdpId.CheckDigit("987654").ShouldBe(((9 + 7 + 5) + (2 * (8 + 6 + 4))) % 10);
        NcpdpId.FromSixDigits("123456").Value.ShouldBe("1234563");
    }

    public static TheoryData<string, string?> NdcCases => new()
    {
        { "1234-5678-90", "01234567890" }, // 4-4-2: leading zero on the labeler
        { "12345-678-90", "12345067890" }, // 5-3-2: zero before the product code
        { "12345-6789-0", "12345678900" }, // 5-4-1: zero before the package code
        { "12345-6789-01", "12345678901" }, // already 5-4-2
        { "12345678901", "12345678901" }, // 11 digits without hyphens
        { "1234567890", null }, // 10 digits without hyphens are ambiguous
        { "123-4567-890", null },
        { "12345-67a9-01", null },
        { "12345--01", null },
        { "", null },
    };

    [Theory]
    [MemberData(nameof(NdcCases))]
    public void Ndc_TryParse_NormalisesToElevenDigits(string text, string? expected)
    {
        var ok = Ndc.TryParse(text, out var ndc, out _);
        ok.ShouldBe(expected is not null);
        if (expected is not null)
        {
            ndc!.Value.Value.ShouldBe(expected);
            ndc.Value.Value.Length.ShouldBe(11);
            ndc.Value.ToString().ShouldBe($"{expected[..5]}-{expected[5..9]}-{expected[9..]}");
        }
    }

    [Fact]
    public void RemsNumber_CreateThenTryParse_RoundTrips()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, 999_999_999)), n =>
        {
            var number = RemsNumber.Create('A', n);
            return number.Value.Length == 11
                && RemsNumber.TryParse(number.Value, 'A', out var parsed, out _)
                && parsed!.Value == number
                && parsed.Value.Kind == 'A'
                && parsed.Value.Payload == n;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void RemsNumber_AnySingleDigitTypo_IsRefused()
    {
        // Position 0 is the kind letter; positions 1–10 are the nine payload digits and the check digit.
        Prop.ForAll(Arb.From(Gen.Choose(0, 999_999_999)), Arb.From(Gen.Choose(1, 10)), Arb.From(Gen.Choose(1, 9)), (n, position, delta) =>
        {
            var chars = RemsNumber.Create('C', n).Value.ToCharArray();
            chars[position] = (char)('0' + ((chars[position] - '0' + delta) % 10));
            return !RemsNumber.TryParse(new string(chars), 'C', out _, out _);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void RemsNumber_TryParse_AcceptsLowerCaseAndHyphens()
    {
        var number = RemsNumber.Create('A', 123_456_789);
        var typed = $"{number.Value[..1].ToLowerInvariant()}-{number.Value[1..6]}-{number.Value[6..]}";
        RemsNumber.TryParse(typed, 'A', out var parsed, out _).ShouldBeTrue();
        parsed.ShouldBe(number);
    }

    [Theory]
    [InlineData("C")] // wrong kind
    [InlineData("A12345")] // too short
    [InlineData("")]
    public void RemsNumber_TryParse_WrongShape_Fails(string text) =>
        RemsNumber.TryParse(text == "C" ? "C" + RemsNumber.Create('A', 42).Value[1..] : text, 'A', out _, out _).ShouldBeFalse();

    [Theory]
    [InlineData(-1L)]
    [InlineData(1_000_000_000L)]
    public void RemsNumber_Create_OutOfRange_Throws(long n) =>
        Should.Throw<ArgumentOutOfRangeException>(() => RemsNumber.Create('A', n));

    [Fact]
    public void Luhn_ClassicExample()
    {
        Luhn.IsValid("79927398713").ShouldBeTrue();
        Luhn.IsValid("79927398710").ShouldBeFalse();
        Luhn.CheckDigit("7992739871").ShouldBe(3);
    }
}
