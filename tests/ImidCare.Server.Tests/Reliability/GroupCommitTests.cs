using System.Data.Common;
using ImidCare.Server.Rems;
using ImidCare.Server.Tests.Support;
using ImidCare.Store;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace ImidCare.Server.Tests.Reliability;

/// <summary>
/// The write gate's group commit: requests that wait together share one transaction, each in its
/// own savepoint; one that fails is rolled back alone; the chain stays linear and verifiable.
/// </summary>
public abstract class GroupCommitTests(ImidCareApp app)
{
    [Fact]
    public async Task WaitingWrites_ShareOneCommit_AndAFailingOne_IsRolledBackAlone()
    {
        var gate = app.Services.GetRequiredService<WriteGate>();
        var tag = Guid.NewGuid().ToString("N");

        var (release, holding) = await WriterHold.HoldWriterAsync(gate);
        var batchesBefore = gate.Batches;

        var writes = Enumerable.Range(0, 60).Select(i => gate.RunAsync(async (db, audit, now) =>
        {
            audit.Append(new Actor("test", "test"), "test.group-commit", $"test/{tag}/{i}", "{}");
            db.IdempotencyRecords.Add(new IdempotencyRecord { CallerId = "test", Key = $"{tag}-{i}", RequestHash = "h", StatusCode = 200, ResponseJson = "{}", At = now });
            await Task.Yield();
            if (i == 30)
            {
                throw new InvalidOperationException("this request fails after writing");
            }

            return i;
        })).ToList();
        release.SetResult();
        await holding;

        for (var i = 0; i < writes.Count; i++)
        {
            if (i == 30)
            {
                await Should.ThrowAsync<InvalidOperationException>(writes[i]);
            }
            else
            {
                (await writes[i]).ShouldBe(i);
            }
        }

        // The holding write was one batch; the sixty waited together and were at most a few more.
        (gate.Batches - batchesBefore).ShouldBeLessThanOrEqualTo(3);

        await using var check = await app.DbAsync();
        var subjects = await check.Audit.Where(r => r.Action == "test.group-commit" && r.Subject.StartsWith($"test/{tag}/")).Select(r => r.Subject).ToListAsync();
        subjects.Count.ShouldBe(59);
        subjects.ShouldNotContain($"test/{tag}/30");
        (await check.IdempotencyRecords.CountAsync(r => r.CallerId == "test" && r.Key.StartsWith(tag))).ShouldBe(59);
        (await check.IdempotencyRecords.AnyAsync(r => r.Key == $"{tag}-30")).ShouldBeFalse();
        (await AuditChain.VerifyAsync(check)).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task AWriteFailingInTheDatabase_IsRolledBackAlone()
    {
        var gate = app.Services.GetRequiredService<WriteGate>();
        var tag = Guid.NewGuid().ToString("N");

        // Two writes with the same primary key in one batch: the second fails at its own SaveChanges
        // and is rolled back to its savepoint; the first commits.
        var (release, holding) = await WriterHold.HoldWriterAsync(gate);
        Task<int> Write(int n) => gate.RunAsync(async (db, audit, now) =>
        {
            audit.Append(new Actor("test", "test"), "test.duplicate", $"test/{tag}", "{}");
            db.IdempotencyRecords.Add(new IdempotencyRecord { CallerId = "test", Key = tag, RequestHash = "h", StatusCode = 200, ResponseJson = "{}", At = now });
            await Task.Yield();
            return n;
        });
        var first = Write(1);
        var second = Write(2);
        release.SetResult();
        await holding;
        (await first).ShouldBe(1);
        await Should.ThrowAsync<DbUpdateException>(second);

        await using var check = await app.DbAsync();
        (await check.Audit.CountAsync(r => r.Action == "test.duplicate" && r.Subject == $"test/{tag}")).ShouldBe(1);
        (await AuditChain.VerifyAsync(check)).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task PlainSqlWrites_FailingAnywhereInABatch_AreRolledBackAlone()
    {
        // The savepoint of each request travels with its first statement, and the one before it is
        // released only then (SqlSession.SendWithNextAsync). These requests write through the
        // session's own commands, as the counter does, and fail at each place that can matter.
        var gate = app.Services.GetRequiredService<WriteGate>();
        var tag = Guid.NewGuid().ToString("N");
        var (release, holding) = await WriterHold.HoldWriterAsync(gate);
        var batchesBefore = gate.Batches;

        Task<int> Write(int n, string? key, bool throwAfter) => gate.RunAsync(async (db, audit, now) =>
        {
            audit.Append(new Actor("test", "test"), "test.plain-sql", $"test/{tag}/{n}", "{}");
            if (key is not null)
            {
                var cmd = db.Session!.Command("""
                    INSERT INTO idempotency ("CallerId", "Key", "RequestHash", "StatusCode", "ResponseJson", "At")
                    VALUES (@caller, @key, 'h', 200, '{}', @at)
                    """);
                FactsQuery.Add(cmd, "caller", "test");
                FactsQuery.Add(cmd, "key", $"{tag}-{key}");
                FactsQuery.Add(cmd, "at", now.ToUnixTimeTicks());
                await cmd.ExecuteNonQueryAsync();
            }

            return throwAfter ? throw new InvalidOperationException($"request {n} fails") : n;
        });

        var writes = new[]
        {
            Write(0, "a", false),
            Write(1, null, true), // fails before sending anything: nothing of its own to undo, nor of request 0's
            Write(2, "a", false), // the statement carrying its savepoint fails (the key is taken)
            Write(3, "b", true),  // wrote, then fails
            Write(4, "c", false),
        };
        await WriterHold.QueuedAsync(gate, writes.Length);
        release.SetResult();
        await holding;

        (await writes[0]).ShouldBe(0);
        await Should.ThrowAsync<InvalidOperationException>(writes[1]);
        await Should.ThrowAsync<DbException>(writes[2]);
        await Should.ThrowAsync<InvalidOperationException>(writes[3]);
        (await writes[4]).ShouldBe(4);
        (gate.Batches - batchesBefore).ShouldBe(2, "the held write's batch, then the five together");

        await using var check = await app.DbAsync();
        var keys = await check.IdempotencyRecords.Where(r => r.CallerId == "test" && r.Key.StartsWith(tag)).Select(r => r.Key).ToListAsync();
        keys.Order().ShouldBe([$"{tag}-a", $"{tag}-c"]);
        var subjects = await check.Audit.Where(r => r.Action == "test.plain-sql" && r.Subject.StartsWith($"test/{tag}/")).Select(r => r.Subject).ToListAsync();
        subjects.Order().ShouldBe([$"test/{tag}/0", $"test/{tag}/4"]);
        (await AuditChain.VerifyAsync(check)).Intact.ShouldBeTrue();
    }
}

public sealed class SqliteGroupCommitTests(SqliteApp app) : GroupCommitTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresGroupCommitTests(PostgresApp app) : GroupCommitTests(app), IClassFixture<PostgresApp>;
