using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Html;
using NodaTime;

namespace ImidCare.Server.Web;

/// <summary>One measured value over time.</summary>
public sealed record ChartPoint(LocalDate Date, double Value);

/// <summary>
/// A server-rendered SVG line chart with accessible labels: the svg is an image named by its
/// title and described in words (first, last, lowest value, and the reference line), every point
/// carries its own title, and the page shows the numbers as a table beside it.
/// </summary>
public static class SvgChart
{
    private const int W = 640;
    private const int H = 260;
    private const int Left = 64;
    private const int Right = 16;
    private const int Top = 16;
    private const int Bottom = 40;

    public static IHtmlContent Line(string id, string title, string unit, IReadOnlyList<ChartPoint> points, double? reference = null, string? referenceLabel = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        string E(string s) => WebUtility.HtmlEncode(s);
        string N(double v) => v.ToString(v >= 100 ? "N0" : "0.##", inv);
        var desc = points.Count == 0
            ? "No values yet."
            : $"{points.Count} values from {Words.Day(points[0].Date)} to {Words.Day(points[^1].Date)}: first {N(points[0].Value)} {unit}, latest {N(points[^1].Value)} {unit}, lowest {N(points.Min(p => p.Value))} {unit}."
              + (reference is { } r ? $" {referenceLabel ?? "Reference"}: {N(r)} {unit}." : string.Empty);
        sb.Append(inv, $"<figure class=\"chart\"><svg viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" xmlns=\"http://www.w3.org/2000/svg\">");
        sb.Append(inv, $"<title id=\"{id}-t\">{E(title)}</title><desc id=\"{id}-d\">{E(desc)}</desc>");
        sb.Append(inv, $"<rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\" fill=\"#fff\"/>");
        if (points.Count > 0)
        {
            var values = points.Select(p => p.Value).Append(reference ?? points[0].Value).ToList();
            var min = Math.Min(0, values.Min());
            var max = values.Max() * 1.1;
            if (max <= min)
            {
                max = min + 1;
            }

            var first = points[0].Date;
            var days = Math.Max(1, Period.Between(first, points[^1].Date, PeriodUnits.Days).Days);
            double X(LocalDate d) => Left + ((W - Left - Right) * Period.Between(first, d, PeriodUnits.Days).Days / (double)days);
            double Y(double v) => Top + ((H - Top - Bottom) * (1 - ((v - min) / (max - min))));
            for (var i = 0; i <= 4; i++)
            {
                var v = min + ((max - min) * i / 4);
                sb.Append(inv, $"<line x1=\"{Left}\" x2=\"{W - Right}\" y1=\"{Y(v):0.#}\" y2=\"{Y(v):0.#}\" stroke=\"#ddd\"/>");
                sb.Append(inv, $"<text x=\"{Left - 6}\" y=\"{Y(v) + 4:0.#}\" text-anchor=\"end\" font-size=\"12\" fill=\"#333\">{E(N(v))}</text>");
            }

            if (reference is { } rv)
            {
                sb.Append(inv, $"<line x1=\"{Left}\" x2=\"{W - Right}\" y1=\"{Y(rv):0.#}\" y2=\"{Y(rv):0.#}\" stroke=\"#8a1010\" stroke-dasharray=\"6 4\"/>");
                sb.Append(inv, $"<text x=\"{W - Right}\" y=\"{Y(rv) - 4:0.#}\" text-anchor=\"end\" font-size=\"12\" fill=\"#8a1010\">{E(referenceLabel ?? "reference")}</text>");
            }

            sb.Append("<polyline fill=\"none\" stroke=\"#0b4f6c\" stroke-width=\"3\" points=\"");
            sb.AppendJoin(' ', points.Select(p => string.Create(inv, $"{X(p.Date):0.#},{Y(p.Value):0.#}")));
            sb.Append("\"/>");
            foreach (var p in points)
            {
                sb.Append(inv, $"<circle cx=\"{X(p.Date):0.#}\" cy=\"{Y(p.Value):0.#}\" r=\"5\" fill=\"#0b4f6c\"><title>{E($"{Words.Day(p.Date)}: {N(p.Value)} {unit}")}</title></circle>");
            }

            sb.Append(inv, $"<text x=\"{Left}\" y=\"{H - 12}\" font-size=\"12\" fill=\"#333\">{E(Words.Day(first))}</text>");
            sb.Append(inv, $"<text x=\"{W - Right}\" y=\"{H - 12}\" text-anchor=\"end\" font-size=\"12\" fill=\"#333\">{E(Words.Day(points[^1].Date))}</text>");
        }
        else
        {
            sb.Append(inv, $"<text x=\"{W / 2}\" y=\"{H / 2}\" text-anchor=\"middle\" font-size=\"16\" fill=\"#333\">No values yet</text>");
        }

        sb.Append("</svg>");
        sb.Append(inv, $"<figcaption>{E(title)} ({E(unit)}). {E(desc)}</figcaption>");
        sb.Append("<details><summary>Show the numbers</summary><table><thead><tr><th scope=\"col\">Date</th><th scope=\"col\">");
        sb.Append(E(unit)).Append("</th></tr></thead><tbody>");
        foreach (var p in points)
        {
            sb.Append(inv, $"<tr><td>{E(Words.Day(p.Date))}</td><td>{E(N(p.Value))}</td></tr>");
        }

        sb.Append("</tbody></table></details></figure>");
        return new HtmlString(sb.ToString());
    }
}
