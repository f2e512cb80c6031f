using System.CommandLine;
using System.Text.Json;
using ImidCare.Rules.Calendar;
using ImidCare.Rules.Therapy;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Therapy;
using NodaTime;
using NodaTime.Text;

namespace ImidCare.Server.Cli;

/// <summary>
/// The treatment engine without the server, on JSON files in the same shapes as the API bodies,
/// so a clinician or a script can use it offline. Bad input: a message naming the field, exit 2.
/// </summary>
public static class EngineCommands
{
    public static IEnumerable<Command> All()
    {
        var plan = new Option<FileInfo>("--plan") { Description = "A treatment plan JSON file (regimenId, start, ageYears, doseMg?, holds?, dialysisDays?).", Required = true };
        var through = new Option<string?>("--through") { Description = "Last date (default: start + 90 days)." };
        var ics = new Option<bool>("--ics") { Description = "Write iCalendar (RFC 5545) instead of JSON." };
        var calendar = new Command("calendar", "Every dose, rest, hold and partner-drug day of a plan.") { plan, through, ics };
        calendar.SetAction(r => Run(() =>
        {
            var p = Read<PlanInput>(r.GetValue(plan)!).ToRule();
            var until = r.GetValue(through) is { } t ? ParseDate(t, "--through") : p.Start.PlusDays(90);
            var result = CycleCalendar.Build(p, until);
            Console.Out.Write(r.GetValue(ics)
                ? CalendarExport.ToICalendar(result, "cli", Regimens.Get(p.RegimenId).Name, SystemClock.Instance.GetCurrentInstant())
                : JsonSerializer.Serialize(result, Pretty));
        }));

        var counts = new Option<FileInfo>("--input") { Description = "A count check JSON file (drug, indication, currentDoseMg, anc?, platelets?, ...).", Required = true };
        var doseCheck = new Command("dose-check", "Hold, restart or reduce the dose from blood counts, with the label citation.") { counts };
        doseCheck.SetAction(r => Run(() => Console.Out.Write(JsonSerializer.Serialize(DoseModification.EvaluateCounts(Read<CountCheck>(r.GetValue(counts)!)), Pretty))));

        var assessments = new Option<FileInfo>("--input") { Description = "baseline + assessments JSON file (serial M-protein and free light chains).", Required = true };
        var response = new Command("response", "IMWG 2016 response and relapse.") { assessments };
        response.SetAction(r => Run(() =>
        {
            var req = Read<ResponseRequest>(r.GetValue(assessments)!);
            Console.Out.Write(JsonSerializer.Serialize(Rules.Response.ImwgResponse.Evaluate(req.Baseline, req.Assessments, req.OnInterferingAntibody), Pretty));
        }));

        return [calendar, doseCheck, response];
    }

    private static readonly JsonSerializerOptions Pretty = new(Json.Options) { WriteIndented = true };

    private static T Read<T>(FileInfo file)
    {
        if (!file.Exists)
        {
            throw new ArgumentException($"{file.FullName} does not exist.", "--input");
        }

        using var stream = file.OpenRead();
        return JsonSerializer.Deserialize<T>(stream, Json.Options) ?? throw new ArgumentException("The file holds JSON null.", file.Name);
    }

    private static LocalDate ParseDate(string text, string option)
    {
        var result = LocalDatePattern.Iso.Parse(text);
        return result.Success ? result.Value : throw new ArgumentException($"'{text}' is not a date such as 2026-12-31.", option);
    }

    private static int Run(Action action)
    {
        try
        {
            action();
            Console.Out.WriteLine();
            return 0;
        }
        catch (JsonException e)
        {
            Console.Error.WriteLine($"Invalid input at {e.Path ?? "$"}: {e.Message.Split(" Path:")[0]}");
            return 2;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"Invalid input ({e.ParamName}): {e.Message.Split(" (Parameter")[0]}");
            return 2;
        }
        catch (KeyNotFoundException e)
        {
            Console.Error.WriteLine($"Invalid input: {e.Message}");
            return 2;
        }
    }
}
