using ImidCare.Server.Tests.Support;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Shouldly;

namespace ImidCare.Server.Tests.Reliability;

/// <summary>
/// A diary write that loses its day to a row committed outside the write gate, between its look
/// at the day and its insert, on a real PostgreSQL. The write gate's own writers cannot race each
/// other for a day (the audit chain's advisory lock is held from before the look),
/// so the race is made the one way it can happen: a plain connection, which takes no such lock,
/// inserts the day's row and holds its transaction open; the diary write looks, finds nothing,
/// and its insert waits on the unique index until that transaction commits, then is refused.
/// The write is then made again and corrects the row that won.
/// </summary>
public sealed class DiaryLostRaceTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    [Fact]
    public async Task AnEntryThatLosesItsDayToAnotherWriter_CorrectsTheWinnersRow_InsteadOfFailingOrDoublingTheDay()
    {
        var ct = TestContext.Current.CancellationToken;
        using var john = await app.LoginAsync("john", "demo-john-2026");
        const string Diary = "/api/v1/patients/pat_demo_john/doses";
        var today = new NodaTime.LocalDate(2026, 11, 17);
        await using (var db = await app.DbAsync())
        {
            (await db.DoseEntries.CountAsync(d => d.PatientId == "pat_demo_john" && d.Date == today, ct)).ShouldBe(0, "the seed records up to yesterday");
        }

        await using var other = new NpgsqlConnection(app.Storage.ConnectionString);
        await other.OpenAsync(ct);
        await using var tx = await other.BeginTransactionAsync(ct);
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO dose_entries ("Id", "PatientId", "Date", "Status", "Capsules", "RecordedBy", "RecordedAt")
            VALUES ('dose_other_writer', 'pat_demo_john', DATE '2026-11-17', 'missed', 0, 'usr_other_writer', 1)
            """, other, tx))
        {
            await insert.ExecuteNonQueryAsync(ct);
        }

        var recording = john.PostAsync(Diary, new { date = "2026-11-17", status = "taken", capsules = 1 }, idempotencyKey: "lost-race-1");

        // The diary write has looked and is waiting for the other transaction (or, with no unique index, has finished).
        await using (var watch = new NpgsqlConnection(app.Storage.ConnectionString))
        {
            await watch.OpenAsync(ct);
            await using var waiting = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", watch);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!recording.IsCompleted && (long)(await waiting.ExecuteScalarAsync(ct))! == 0)
            {
                DateTime.UtcNow.ShouldBeLessThan(deadline, "the diary write neither finished nor waited for the other writer's row");
                await Task.Delay(20, ct);
            }
        }

        await tx.CommitAsync(ct);
        var answer = await recording;

        answer.Code.ShouldBe(200, answer.ToString());
        answer.Str("id").ShouldBe("dose_other_writer");
        answer.Str("status").ShouldBe("taken");
        answer.Body.GetProperty("corrected").GetProperty("status").GetString().ShouldBe("missed");
        answer.Body.GetProperty("corrected").GetProperty("recordedBy").GetString().ShouldBe("usr_other_writer");

        await using var check = await app.DbAsync();
        var rows = await check.DoseEntries.AsNoTracking().Where(d => d.PatientId == "pat_demo_john" && d.Date == today).ToListAsync(ct);
        rows.Count.ShouldBe(1);
        (rows[0].Id, rows[0].Status, rows[0].Capsules, rows[0].RecordedBy).ShouldBe(("dose_other_writer", "taken", 1, "usr_demo_john"));

        // The attempt that lost left nothing behind: no `dose.recorded`, one correction, one chain.
        var trail = await check.Audit.AsNoTracking().Where(a => a.Subject == "patient/pat_demo_john" && a.Action.StartsWith("dose.")).ToListAsync(ct);
        trail.Select(a => a.Action).ShouldBe(["dose.corrected"]);
        (await AuditChain.VerifyAsync(check)).Intact.ShouldBeTrue();

        // Its stored reply went with it: the same key now gets the correction's answer back, and changes nothing.
        var replay = await john.PostAsync(Diary, new { date = "2026-11-17", status = "taken", capsules = 1 }, idempotencyKey: "lost-race-1");
        replay.Raw.ShouldBe(answer.Raw);
        (await check.Audit.CountAsync(a => a.Subject == "patient/pat_demo_john" && a.Action.StartsWith("dose."), ct)).ShouldBe(1);
    }
}
