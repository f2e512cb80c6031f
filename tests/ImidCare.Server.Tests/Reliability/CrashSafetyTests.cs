using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using ImidCare.Server.Hosting;
using ImidCare.Server.Tests.Support;
using ImidCare.Store;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using Shouldly;

namespace ImidCare.Server.Tests.Reliability;

/// <summary>
/// Kill the server with SIGKILL in the middle of a dispense load, restart it: every acknowledged
/// dispense is there, nothing unacknowledged is half there, and the audit chain still verifies.
/// </summary>
public sealed class CrashSafetyTests
{
    private static readonly object Checklist = Scenario.FullChecklist;

    [Fact]
    public async Task SigkillDuringDispenseLoad_LosesNothingAcknowledged_LeavesNothingHalfDone()
    {
        await using var database = await TestDatabase.CreateAsync(StorageProvider.Sqlite);
        var cs = database.Options.ConnectionString;
        var numbers = new ConcurrentQueue<string>(await ServerProcess.SeedForLoadAsync(database.Options, 400));

        var acknowledged = new ConcurrentBag<string>();
        await using (var server = await ServerProcess.StartAsync("sqlite", cs))
        {
            using var cts = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                using var http = server.Client(DemoSeed.PharmacyKey);
                while (!cts.IsCancellationRequested && numbers.TryDequeue(out var a))
                {
                    try
                    {
                        var c = await http.PostAsync($"/api/v1/authorizations/{a}/confirmations", null, cts.Token);
                        if ((int)c.StatusCode != 201)
                        {
                            continue;
                        }

                        var conf = (await c.Content.ReadFromJsonAsync<JsonElement>(cts.Token)).GetProperty("number").GetString()!;
                        var d = await http.PostAsJsonAsync($"/api/v1/confirmations/{conf}/dispense", new { ndc = "59572-0410-28", quantity = 28, daysSupply = 28, checklist = Checklist }, cts.Token);
                        if ((int)d.StatusCode == 201)
                        {
                            acknowledged.Add(conf);
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
                    {
                        // The server died under us: that answer never came, so nothing was acknowledged.
                        return;
                    }
                }
            })).ToList();

            // Let a good number of dispenses through, then pull the plug mid-stream.
            for (var i = 0; i < 600 && acknowledged.Count < 40; i++)
            {
                await Task.Delay(50);
            }

            server.KillHard();
            await cts.CancelAsync();
            await Task.WhenAll(workers);
        }

        acknowledged.Count.ShouldBeGreaterThan(0);

        // Restart on the same file: recovery is SQLite's WAL replay, nothing of ours.
        await using (var again = await ServerProcess.StartAsync("sqlite", cs))
        {
            using var http = again.Client(DemoSeed.PharmacyKey);
            (await http.GetAsync("/api/v1/ping")).IsSuccessStatusCode.ShouldBeTrue();
        }

        await using var db = database.Context();
        var dispensed = await db.Dispenses.Select(d => d.ConfirmationNumber).ToListAsync();
        dispensed.ShouldBeSubsetOf(await db.Confirmations.Where(c => c.State == "dispensed").Select(c => c.Number).ToListAsync());
        foreach (var conf in acknowledged)
        {
            dispensed.ShouldContain(conf, $"acknowledged dispense {conf} is missing after the crash");
        }

        // No half states: a dispensed confirmation has its dispense; a dispensed authorization has both.
        (await db.Confirmations.CountAsync(c => c.State == "dispensed")).ShouldBe(dispensed.Count);
        (await db.Authorizations.CountAsync(a => a.State == "Dispensed")).ShouldBe(dispensed.Count);
        var confirmedAuths = await db.Authorizations.Where(a => a.State == "Confirmed").Select(a => a.Number).ToListAsync();
        (await db.Confirmations.CountAsync(c => c.State == "active")).ShouldBe(confirmedAuths.Count);

        var verify = await AuditChain.VerifyAsync(db);
        verify.Intact.ShouldBeTrue(verify.Problem);
        (await db.Audit.CountAsync(a => a.Action == "dispense.recorded")).ShouldBe(dispensed.Count); // the demo seed audits its one dispense too
    }
}
