using System.Diagnostics.CodeAnalysis;

namespace ImidCare.Rules.Rems;

/// <summary>Luhn (mod 10) check digits, used by the NPI standard and by our own REMS numbers.</summary>
public static class Luhn
{
    public static bool IsValid(string digits) =>
        digits.Length > 1 && digits.All(char.IsAsciiDigit) && CheckDigit(digits[..^1]) == digits[^1] - '0';

    /// <summary>The digit that makes <paramref name="payload"/> + digit pass the Luhn check.</summary>
    public static int CheckDigit(string payload)
    {
        var sum = 0;
        var doubleIt = true; // the rightmost payload digit sits next to the check digit, so it is doubled
        for (var i = payload.Length - 1; i >= 0; i--)
        {
            var d = payload[i] - '0';
            if (doubleIt)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubleIt = !doubleIt;
        }

        return (10 - (sum % 10)) % 10;
    }
}

/// <summary>
/// A National Provider Identifier: 10 digits whose last is a Luhn check digit computed over the
/// card-issuer prefix 80840 followed by the first nine digits (CMS NPI check-digit standard).
/// </summary>
public readonly record struct Npi
{
    private Npi(string value) => Value = value;

    public string Value { get; }

    public static bool TryParse(string? text, [NotNullWhen(true)] out Npi? npi, out string? error)
    {
        npi = null;
        var s = text?.Trim() ?? string.Empty;
        if (s.Length != 10 || !s.All(char.IsAsciiDigit))
        {
            error = "An NPI is exactly 10 digits.";
            return false;
        }

        if (s[0] is not ('1' or '2'))
        {
            error = "An NPI starts with 1 or 2.";
            return false;
        }

        if (!Luhn.IsValid("80840" + s))
        {
            error = "The NPI's check digit is wrong (Luhn over 80840 + the first nine digits).";
            return false;
        }

        error = null;
        npi = new Npi(s);
        return true;
    }

    public static Npi Parse(string text) =>
        TryParse(text, out var npi, out var error) ? npi.Value : throw new FormatException(error);

    /// <summary>Builds a valid NPI from nine digits, for seeding and tests.</summary>
    public static Npi FromNineDigits(string nine) => Parse(nine + Luhn.CheckDigit("80840" + nine));

    public override string ToString() => Value;
}

/// <summary>An NCPDP provider ID (formerly NABP number): seven digits, the last a check digit.</summary>
public readonly record struct NcpdpId
{
    private NcpdpId(string value) => Value = value;

    public string Value { get; }

    /// <summary>
    /// The NCPDP check digit: (sum of digits 1,3,5) + 2 × (sum of digits 2,4,6), last digit of that.
    /// </summary>
    public static int CheckDigit(string six)
    {
        var odd = (six[0] - '0') + (six[2] - '0') + (six[4] - '0');
        var even = (six[1] - '0') + (six[3] - '0') + (six[5] - '0');
        return (odd + (2 * even)) % 10;
    }

    public static bool TryParse(string? text, [NotNullWhen(true)] out NcpdpId? id, out string? error)
    {
        id = null;
        var s = text?.Trim() ?? string.Empty;
        if (s.Length != 7 || !s.All(char.IsAsciiDigit))
        {
            error = "An NCPDP provider ID is exactly 7 digits.";
            return false;
        }

        if (CheckDigit(s[..6]) != s[6] - '0')
        {
            error = "The NCPDP provider ID's check digit is wrong.";
            return false;
        }

        error = null;
        id = new NcpdpId(s);
        return true;
    }

    public static NcpdpId FromSixDigits(string six) =>
        TryParse(six + CheckDigit(six), out var id, out var e) ? id.Value : throw new FormatException(e);

    public override string ToString() => Value;
}

/// <summary>
/// A National Drug Code as printed (10 digits in 4-4-2, 5-3-2 or 5-4-1 with hyphens) or in the
/// 11-digit 5-4-2 billing form; stored normalised to 11 digits.
/// </summary>
public readonly record struct Ndc
{
    private Ndc(string value) => Value = value;

    /// <summary>The 11-digit 5-4-2 form without hyphens.</summary>
    public string Value { get; }

    public static bool TryParse(string? text, [NotNullWhen(true)] out Ndc? ndc, out string? error)
    {
        ndc = null;
        var s = text?.Trim() ?? string.Empty;
        var parts = s.Split('-');
        string? normal = parts.Length switch
        {
            1 when s.Length == 11 && s.All(char.IsAsciiDigit) => s,
            3 when parts.All(p => p.Length > 0 && p.All(char.IsAsciiDigit)) => (parts[0].Length, parts[1].Length, parts[2].Length) switch
            {
                (4, 4, 2) => "0" + parts[0] + parts[1] + parts[2],
                (5, 3, 2) => parts[0] + "0" + parts[1] + parts[2],
                (5, 4, 1) => parts[0] + parts[1] + "0" + parts[2],
                (5, 4, 2) => parts[0] + parts[1] + parts[2],
                _ => null,
            },
            _ => null,
        };
        if (normal is null)
        {
            error = "An NDC is 11 digits, or 10 digits with hyphens as 4-4-2, 5-3-2 or 5-4-1.";
            return false;
        }

        error = null;
        ndc = new Ndc(normal);
        return true;
    }

    public override string ToString() => $"{Value[..5]}-{Value[5..9]}-{Value[9..]}";
}

/// <summary>
/// A REMS number we issue (authorization or confirmation): a one-letter kind, then ten digits,
/// the last a Luhn check digit, so a mistyped number is refused before any look-up.
/// </summary>
public readonly record struct RemsNumber
{
    private RemsNumber(string value) => Value = value;

    public string Value { get; }

    public char Kind => Value[0];

    /// <summary>The nine digits between the kind and the check digit, as <see cref="Create"/> was given them.</summary>
    public long Payload => long.Parse(Value.AsSpan(1, 9), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture);

    public static RemsNumber Create(char kind, long nineDigits)
    {
        var payload = nineDigits.ToString("D9", System.Globalization.CultureInfo.InvariantCulture);
        if (payload.Length != 9 || nineDigits < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(nineDigits), "Nine digits are needed.");
        }

        return new RemsNumber($"{kind}{payload}{Luhn.CheckDigit(payload)}");
    }

    public static bool TryParse(string? text, char kind, [NotNullWhen(true)] out RemsNumber? number, out string? error)
    {
        number = null;
        var s = (text ?? string.Empty).Trim().ToUpperInvariant().Replace("-", string.Empty, StringComparison.Ordinal);
        if (s.Length != 11 || s[0] != kind || !s[1..].All(char.IsAsciiDigit))
        {
            error = $"The number must be '{kind}' followed by 10 digits.";
            return false;
        }

        if (!Luhn.IsValid(s[1..]))
        {
            error = "The number's check digit is wrong: it was probably mistyped.";
            return false;
        }

        error = null;
        number = new RemsNumber(s);
        return true;
    }

    public override string ToString() => Value;
}
