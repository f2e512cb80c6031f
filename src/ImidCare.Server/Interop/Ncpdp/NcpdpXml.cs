using System.Xml;
using System.Xml.Linq;

namespace ImidCare.Server.Interop.Ncpdp;

/// <summary>
/// Safe, lenient reading of NCPDP SCRIPT XML: no DTDs (so no XXE and no entity expansion), no
/// resolver, a character cap, and element names matched case-insensitively because the peers
/// disagree on casing (rems-admin lower-cases what it echoes).
/// </summary>
public static class NcpdpXml
{
    public const int MaxCharacters = 1_000_000;

    public static XmlReaderSettings Settings => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = MaxCharacters,
        MaxCharactersFromEntities = 1024,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        Async = false,
    };

    /// <summary>The document, or null with a reason when it is not acceptable XML.</summary>
    public static XDocument? Parse(string text, out string? error)
    {
        try
        {
            using var sr = new StringReader(text);
            using var reader = XmlReader.Create(sr, Settings);
            error = null;
            return XDocument.Load(reader, LoadOptions.None);
        }
        catch (XmlException e)
        {
            error = e.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase)
                ? "DTDs and entity declarations are not accepted."
                : $"The XML is not well formed: {e.Message}";
            return null;
        }
    }

    /// <summary>The first child element with this local name, ignoring case and namespace.</summary>
    public static XElement? Child(this XElement? e, string name) =>
        e?.Elements().FirstOrDefault(c => string.Equals(c.Name.LocalName, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Follows a path of child names, ignoring case and namespace.</summary>
    public static XElement? Path(this XElement? e, params string[] names)
    {
        foreach (var n in names)
        {
            e = e.Child(n);
        }

        return e;
    }

    /// <summary>The trimmed text of the first path that exists and is not empty.</summary>
    public static string? FirstText(this XElement? e, params string[][] paths)
    {
        foreach (var p in paths)
        {
            if (e.Path(p) is { } found && found.Value.Trim() is { Length: > 0 } v)
            {
                return v;
            }
        }

        return null;
    }
}
