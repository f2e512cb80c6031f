using System.Text.RegularExpressions;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Tests.Support;
using ImidCare.Store;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>
/// Rule sources in the audit trail by reference (AuditJson, AuditWriter.Reference): each is
/// recorded once per database, before the first record that names it, also when the request that
/// first named it was rolled back; `audit verify` checks each reference's id against its text.
/// </summary>
public abstract partial class AuditReferenceTests(ImidCareApp app)
{
    [GeneratedRegex("\"source\":\"(rs_[0-9a-f]{32})\"")]
    private static partial Regex SourceReference();

    [Fact]
    public async Task EachRuleSource_IsRecordedOnce_BeforeTheFirstRecordThatNamesIt()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        foreach (var name in new[] { "Rita Reference", "Rosa Reference" })
        {
            var number = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, name));
            (await pharmacy.PostAsync($"/api/v1/authorizations/{number}/dispense", Scenario.DispenseBody())).Code.ShouldBe(201);
        }

        await using var db = await app.DbAsync();
        var records = await db.Audit.AsNoTracking().OrderBy(r => r.Seq).ToListAsync(TestContext.Current.CancellationToken);
        var references = records.Where(r => r.Action == AuditChain.ReferenceAction).ToList();
        references.Select(r => r.Subject).ShouldBeUnique();
        var recordedAt = references.ToDictionary(r => r.Subject["reference/".Length..], r => r.Seq);

        var named = 0;
        foreach (var r in records.Where(r => r.Action != AuditChain.ReferenceAction))
        {
            foreach (Match m in SourceReference().Matches(r.DataJson))
            {
                recordedAt.ShouldContainKey(m.Groups[1].Value);
                recordedAt[m.Groups[1].Value].ShouldBeLessThan(r.Seq);
                named++;
            }
        }

        named.ShouldBeGreaterThan(recordedAt.Count, "the sources are named far more often than they are recorded");
        (await AuditChain.VerifyAsync(db, TestContext.Current.CancellationToken)).Intact.ShouldBeTrue();
    }

    /// <summary>
    /// A request that first names a source and is then rolled back to its savepoint takes the
    /// source's record with it; the next request of the same batch that names it records it again.
    /// </summary>
    [Fact]
    public async Task ASourceFirstNamedByARolledBackRequest_IsRecordedByTheNextOneThatNamesIt()
    {
        var gate = app.Services.GetRequiredService<WriteGate>();
        var tag = Guid.NewGuid().ToString("N");
        var decision = new DecisionDto("allowed", false, [new ReasonDto("TEST.REFERENCE", "Checked.", $"A source first seen in test {tag}", "S", false)]);

        var (release, holding) = await WriterHold.HoldWriterAsync(gate);
        var writes = Enumerable.Range(0, 3).Select(i => gate.RunAsync(async (db, audit, now) =>
        {
            audit.Append(new Actor("test", "test"), "test.reference", $"test/{tag}/{i}", audit.Data(new { decision }));
            await Task.Yield();
            return i == 0 ? throw new InvalidOperationException("rolled back after naming the source") : i;
        })).ToList();
        await WriterHold.QueuedAsync(gate, writes.Count);
        release.SetResult();
        await holding;
        await Should.ThrowAsync<InvalidOperationException>(writes[0]);
        (await writes[1]).ShouldBe(1);
        (await writes[2]).ShouldBe(2);

        // A later batch names it too, and finds it recorded.
        await gate.RunAsync((db, audit, now) =>
        {
            audit.Append(new Actor("test", "test"), "test.reference", $"test/{tag}/3", audit.Data(new { decision }));
            return Task.FromResult(3);
        });

        await using var check = await app.DbAsync();
        var mine = await check.Audit.AsNoTracking().Where(r => r.Action == "test.reference" && r.Subject.StartsWith($"test/{tag}/")).OrderBy(r => r.Seq).ToListAsync(TestContext.Current.CancellationToken);
        mine.Select(r => r.Subject).ShouldBe([$"test/{tag}/1", $"test/{tag}/2", $"test/{tag}/3"]);
        var id = SourceReference().Match(mine[0].DataJson).Groups[1].Value;
        mine.ShouldAllBe(r => r.DataJson.Contains(id));
        var recorded = await check.Audit.AsNoTracking().Where(r => r.Subject == AuditChain.ReferenceSubject(id)).ToListAsync(TestContext.Current.CancellationToken);
        recorded.Count.ShouldBe(1);
        recorded[0].Seq.ShouldBeLessThan(mine[0].Seq);

        var expanded = await Scenario.AuditDataAsync(check, mine[2]);
        expanded.GetProperty("decision").GetProperty("reasons")[0].GetProperty("source").GetString().ShouldBe($"A source first seen in test {tag}");
        (await AuditChain.VerifyAsync(check, TestContext.Current.CancellationToken)).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task TheAuditSearch_ShowsEachDecisionAsAnswered()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var number = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Sara Search"));
        var confirmed = await pharmacy.PostAsync($"/api/v1/authorizations/{number}/confirmations");
        confirmed.Code.ShouldBe(201);

        using var admin = await app.AdminAsync();
        var found = await admin.GetJsonAsync($"/api/v1/audit?subject=authorization/{number}&action=confirmation.issued");
        found.Code.ShouldBe(200, found.ToString());
        found.Body[0].GetProperty("data").GetProperty("decision").GetRawText().ShouldBe(confirmed.Body.GetProperty("decision").GetRawText());
    }
}

public sealed class SqliteAuditReferenceTests(SqliteApp app) : AuditReferenceTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresAuditReferenceTests(PostgresApp app) : AuditReferenceTests(app), IClassFixture<PostgresApp>;

/// <summary>
/// A reference record whose id is not its text's hash (written by something other than
/// AuditWriter.Reference, and chained properly) is found by `audit verify` (a database of its own:
/// the record stays in its chain).
/// </summary>
public abstract class AuditReferenceVerifyTests(ImidCareApp app)
{
    [Fact]
    public async Task Verify_FindsAReferenceWhoseIdIsNotItsTextsHash()
    {
        var gate = app.Services.GetRequiredService<WriteGate>();
        var text = """{"document":"A source","evidence":"S","unverified":false}""";
        var wrong = AuditChain.ReferenceId(AuditJson.SourceKind, text.Replace("A source", "Another source", StringComparison.Ordinal));
        await gate.RunAsync((db, audit, now) =>
        {
            audit.Append(Actor.System, AuditChain.ReferenceAction, AuditChain.ReferenceSubject(wrong), text);
            return Task.FromResult(0);
        });

        await using var check = await app.DbAsync();
        var record = await check.Audit.AsNoTracking().SingleAsync(r => r.Subject == AuditChain.ReferenceSubject(wrong), TestContext.Current.CancellationToken);
        var verification = await AuditChain.VerifyAsync(check, TestContext.Current.CancellationToken);
        verification.Intact.ShouldBeFalse();
        verification.FirstBrokenSeq.ShouldBe(record.Seq);
        verification.Problem!.ShouldContain("not the text's hash");
    }
}

public sealed class SqliteAuditReferenceVerifyTests(SqliteApp app) : AuditReferenceVerifyTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresAuditReferenceVerifyTests(PostgresApp app) : AuditReferenceVerifyTests(app), IClassFixture<PostgresApp>;
