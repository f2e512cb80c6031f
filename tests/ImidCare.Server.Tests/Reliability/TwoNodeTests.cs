using System.Net.Http.Json;
using ImidCare.Server.Hosting;
using ImidCare.Server.Tests.Support;
using ImidCare.Store;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using Shouldly;

namespace ImidCare.Server.Tests.Reliability;

/// <summary>
/// Two server processes on one PostgreSQL: concurrent confirmations of the same authorization from
/// both give exactly one success, and the audit chain stays one chain (the lock lives in the
/// database, not in either node's memory).
/// </summary>
public sealed class TwoNodeTests
{
    [Fact]
    public async Task TwoNodes_RacingForTheSameAuthorizations_OneConfirmationEach()
    {
        await using var database = await TestDatabase.CreateAsync(StorageProvider.Postgres);
        var cs = database.Options.ConnectionString;
        var numbers = await ServerProcess.SeedForLoadAsync(database.Options, 40);

        await using var a = await ServerProcess.StartAsync("postgres", cs);
        await using var b = await ServerProcess.StartAsync("postgres", cs);
        using var ha = a.Client(DemoSeed.PharmacyKey);
        using var hb = b.Client(DemoSeed.PharmacyKey);

        var results = await Task.WhenAll(numbers.SelectMany(n => new[]
        {
            ha.PostAsync($"/api/v1/authorizations/{n}/confirmations", null),
            hb.PostAsync($"/api/v1/authorizations/{n}/confirmations", null),
            ha.PostAsync($"/api/v1/authorizations/{n}/confirmations", null),
            hb.PostAsync($"/api/v1/authorizations/{n}/confirmations", null),
        }));
        results.Count(r => (int)r.StatusCode == 201).ShouldBe(numbers.Length);
        results.Where(r => (int)r.StatusCode != 201).ShouldAllBe(r => (int)r.StatusCode == 409);

        await using var db = database.Context();
        foreach (var n in numbers)
        {
            (await db.Confirmations.CountAsync(c => c.AuthorizationNumber == n)).ShouldBe(1);
        }

        (await AuditChain.VerifyAsync(db)).Intact.ShouldBeTrue();
        (await db.Audit.CountAsync(x => x.Action == "confirmation.issued")).ShouldBe(numbers.Length);

        // The confirmation numbers count up across both nodes in the chain's order: each batch read
        // the last one under the lock both nodes take (ConfirmationNumbers), none kept its own count.
        var issued = await db.Audit.Where(x => x.Action == "confirmation.issued").OrderBy(x => x.Seq).Select(x => x.DataJson).ToListAsync();
        var payloads = issued.Select(j => ConfirmationNumberTests.Payload(System.Text.Json.JsonDocument.Parse(j).RootElement.GetProperty("confirmation").GetString()!)).ToList();
        payloads.Zip(payloads.Skip(1)).ShouldAllBe(p => p.Second > p.First);
    }
}
