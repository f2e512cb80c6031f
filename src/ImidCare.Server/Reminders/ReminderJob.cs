using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Store;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Reminders;

/// <summary>ImidCare:Reminders:* — whether the job runs here, how often, and how long a run may hold the lease.</summary>
public sealed record ReminderOptions(bool Enabled, Duration Interval, Duration Lease)
{
    public static ReminderOptions From(IConfiguration config) => new(
        Settings.On(config, "ImidCare:Reminders:Enabled"),
        Settings.Period(config, "ImidCare:Reminders:Interval", Duration.FromMinutes(15)),
        Settings.Period(config, "ImidCare:Reminders:Lease", Duration.FromMinutes(10)));
}

/// <summary>What one attempt at a slot did.</summary>
public sealed record ReminderRunResult(long Slot, bool Ran, int Created, int Emailed, int EmailFailures, string? SkippedBecause = null);

/// <summary>
/// Generates the due reminders once per time slot across every node sharing the database. The
/// slot is the clock's instant divided by the interval. A node runs a slot only when (in one
/// write-gate transaction) no run of that slot is recorded and no other node holds an unexpired
/// lease; it records the run and takes the lease in that same transaction. The unique index on
/// (job, slot) and the one on (user, kind, subject, due date) are the database's guarantee behind
/// that check: a second run of a slot, or a rerun of the generation, cannot add a duplicate.
/// Emails go out only from the node holding the lease, each claimed in the database before it is
/// sent (and released if the send fails), so none is sent twice.
/// </summary>
public sealed class ReminderJob(
    IDbContextFactory<ImidCareDb> dbs,
    SqlSessionPool sessions,
    WriteGate gate,
    IClock clock,
    ReminderOptions options,
    ReminderMailer mailer,
    ILogger<ReminderJob> log)
{
    public const string Name = "reminders";

    /// <summary>This process, as it is named in job runs and leases.</summary>
    public string Node { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";

    private static Actor Me => new($"job/{Name}", "system");

    public long SlotOf(Instant now) => now.ToUnixTimeTicks() / options.Interval.BclCompatibleTicks;

    public async Task<ReminderRunResult> RunOnceAsync(CancellationToken ct = default)
    {
        var slot = SlotOf(clock.GetCurrentInstant());
        await using (var look = await dbs.CreateDbContextAsync(ct))
        {
            // A cheap read first: most polls find the slot already done.
            if (await look.JobRuns.AnyAsync(r => r.Job == Name && r.Slot == slot, ct))
            {
                return new ReminderRunResult(slot, false, 0, 0, 0, "done");
            }
        }

        var (claimed, now, why) = await gate.RunAsync(async (db, audit, now) =>
        {
            if (await db.JobRuns.AnyAsync(r => r.Job == Name && r.Slot == slot, ct))
            {
                return (false, now, "done");
            }

            var lease = await db.JobLeases.FirstOrDefaultAsync(l => l.Job == Name, ct);
            if (lease is not null && lease.Holder != Node && lease.ExpiresAt > now)
            {
                return (false, now, "busy");
            }

            if (lease is null)
            {
                db.JobLeases.Add(new JobLeaseRecord { Job = Name, Holder = Node, ExpiresAt = now + options.Lease });
            }
            else
            {
                lease.Holder = Node;
                lease.ExpiresAt = now + options.Lease;
            }

            db.JobRuns.Add(new JobRunRecord { Id = $"run_{Name}_{slot}", Job = Name, Slot = slot, Node = Node, StartedAt = now });
            audit.Append(Me, "job.claimed", $"job/{Name}", audit.Data(new { slot, node = Node }));
            return (true, now, (string?)null);
        }, ct, scoped: true);
        if (!claimed)
        {
            return new ReminderRunResult(slot, false, 0, 0, 0, why);
        }

        try
        {
            return await GenerateAndSendAsync(slot, now, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The slot stays recorded (unfinished) and the lease runs out; the next slot starts afresh.
            log.LogError(e, "Reminder run for slot {Slot} failed", slot);
            throw;
        }
    }

    private async Task<ReminderRunResult> GenerateAndSendAsync(long slot, Instant now, CancellationToken ct)
    {
        List<ReminderRecord> due;
        // A session of its own: the per-patient statement is prepared once for the whole run, not once per patient.
        await using (var read = await sessions.OpenDedicatedAsync(ct))
        {
            due = await ReminderPlanner.DueAsync(read.Db, now, ct);
        }

        var (created, outbox) = await gate.RunAsync(async (db, audit, at) =>
        {
            var (added, refreshed) = await StoreAsync(db, due, ct);
            if (added.Count > 0)
            {
                audit.Append(Me, "reminders.generated", $"job/{Name}", audit.Data(new { slot, count = added.Count, kinds = added.GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Count()) }));
            }

            if (refreshed.Count > 0)
            {
                audit.Append(Me, "reminders.refreshed", $"job/{Name}", audit.Data(new { slot, count = refreshed.Count, kinds = refreshed.GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Count()) }));
            }

            var withdrawn = await WithdrawAsync(db, due, ct);
            if (withdrawn.Count > 0)
            {
                audit.Append(Me, "reminders.withdrawn", $"job/{Name}", audit.Data(new { slot, count = withdrawn.Count, kinds = withdrawn.GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Count()) }));
            }

            var mails = mailer.Enabled ? await ClaimEmailsAsync(db, at, ct) : [];
            if (mails.Count > 0)
            {
                audit.Append(Me, "reminders.email-claimed", $"job/{Name}", audit.Data(new { slot, reminders = mails.Select(m => m.ReminderId) }));
            }

            return (added.Count, mails);
        }, ct, scoped: true);

        var failed = new List<string>();
        foreach (var mail in outbox)
        {
            try
            {
                await mailer.SendAsync(mail.To, ct);
            }
            catch (Exception e) when (e is System.Net.Mail.SmtpException or IOException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                log.LogWarning("Reminder email for {Reminder} failed: {Error}", mail.ReminderId, e.Message);
                failed.Add(mail.ReminderId);
            }
        }

        await gate.RunAsync(async (db, audit, at) =>
        {
            if (failed.Count > 0)
            {
                // Released, so the next run tries again.
                await db.Reminders.Where(r => failed.Contains(r.Id)).ExecuteUpdateAsync(s => s.SetProperty(r => r.EmailedAt, (Instant?)null), ct);
                audit.Append(Me, "reminders.email-failed", $"job/{Name}", audit.Data(new { slot, reminders = failed }));
            }

            var run = await db.JobRuns.FirstAsync(r => r.Job == Name && r.Slot == slot, ct);
            run.FinishedAt = at;
            run.Created = created;
            run.Emailed = outbox.Count - failed.Count;
            if (await db.JobLeases.FirstOrDefaultAsync(l => l.Job == Name && l.Holder == Node, ct) is { } lease)
            {
                lease.ExpiresAt = at;
            }

            audit.Append(Me, "job.finished", $"job/{Name}", audit.Data(new { slot, node = Node, created, emailed = run.Emailed }));
            return 0;
        }, ct, scoped: true);
        return new ReminderRunResult(slot, true, created, outbox.Count - failed.Count, failed.Count);
    }

    /// <summary>
    /// Adds the reminders not stored yet. One already there (same key: person, kind, subject, day)
    /// keeps its id and what was read stays as it was read; an unread one whose words changed is
    /// given the new words, since a key holds a day and what it says can move within that day (a
    /// newer pre-start test moves the first prescription's deadline by hours). The inbox would
    /// otherwise keep an hour that is no longer true.
    /// </summary>
    internal static async Task<(List<ReminderRecord> Added, List<ReminderRecord> Refreshed)> StoreAsync(ImidCareDb db, List<ReminderRecord> due, CancellationToken ct)
    {
        var unique = due.DistinctBy(r => r.Id).ToList();
        var byId = unique.ToDictionary(r => r.Id);
        var existing = new HashSet<string>();
        var refreshed = new List<ReminderRecord>();
        foreach (var chunk in byId.Keys.Chunk(500))
        {
            var stored = await db.Reminders.AsNoTracking().Where(r => chunk.Contains(r.Id))
                .Select(r => new { r.Id, r.ReadAt, r.Title, r.Detail, r.RuleMessage }).ToListAsync(ct);
            foreach (var r in stored)
            {
                existing.Add(r.Id);
                var fresh = byId[r.Id];
                if (r.ReadAt is null && (r.Title != fresh.Title || r.Detail != fresh.Detail || r.RuleMessage != fresh.RuleMessage))
                {
                    refreshed.Add(fresh);
                }
            }
        }

        foreach (var r in refreshed)
        {
            await db.Reminders.Where(x => x.Id == r.Id && x.ReadAt == null).ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Title, r.Title).SetProperty(x => x.Detail, r.Detail).SetProperty(x => x.RuleMessage, r.RuleMessage), ct);
        }

        var added = unique.Where(r => !existing.Contains(r.Id)).ToList();
        db.Reminders.AddRange(added);
        return (added, refreshed);
    }

    /// <summary>
    /// Takes out of the inbox the unread reminders the planner no longer finds due: the dose recorded,
    /// the first prescription authorized, the confirmation dispensed, the day gone by. An inbox that
    /// keeps asking for what is done is one people stop reading. Read reminders stay as they were,
    /// and an enrollment change is a message rather than a condition: it stays until read. The audit
    /// record of the run counts what was withdrawn; a condition that comes back is reminded again.
    /// </summary>
    internal static async Task<List<(string Id, string Kind)>> WithdrawAsync(ImidCareDb db, List<ReminderRecord> due, CancellationToken ct)
    {
        var stillDue = due.Select(r => r.Id).ToHashSet();
        var unread = await db.Reminders.AsNoTracking().Where(r => r.ReadAt == null && r.Kind != ReminderKinds.EnrollmentChanged)
            .Select(r => new { r.Id, r.Kind }).ToListAsync(ct);
        var stale = unread.Where(r => !stillDue.Contains(r.Id)).Select(r => (r.Id, r.Kind)).ToList();
        foreach (var chunk in stale.Select(r => r.Id).Chunk(500))
        {
            await db.Reminders.Where(r => chunk.Contains(r.Id)).ExecuteDeleteAsync(ct);
        }

        return stale;
    }

    private sealed record Mail(string ReminderId, string To);

    /// <summary>Claims the unsent reminders of people who asked for email (recent ones only: no backlog after an outage).</summary>
    private static async Task<List<Mail>> ClaimEmailsAsync(ImidCareDb db, Instant now, CancellationToken ct)
    {
        var since = now - Duration.FromDays(2);
        var rows = await db.Reminders.Where(r => r.EmailedAt == null && r.ReadAt == null && r.CreatedAt >= since)
            .Join(db.Users.Where(u => u.EmailReminders && u.Email != null), r => r.UserId, u => u.Id, (r, u) => new { Reminder = r, u.Email })
            .ToListAsync(ct);
        foreach (var row in rows)
        {
            row.Reminder.EmailedAt = now;
        }

        return [.. rows.Select(r => new Mail(r.Reminder.Id, r.Email!))];
    }
}

/// <summary>Polls often enough to catch every slot; the database decides which node runs it.</summary>
public sealed class ReminderService(ReminderJob job, ReminderOptions options, ILogger<ReminderService> log)
    : PeriodicService(log, LogLevel.Error, "Reminder job failed; trying again at the next poll")
{
    protected override TimeSpan Pause { get; } =
        TimeSpan.FromTicks(Math.Clamp(options.Interval.BclCompatibleTicks / 4, TimeSpan.TicksPerMillisecond * 200, TimeSpan.TicksPerMinute));

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        var r = await job.RunOnceAsync(ct);
        if (r.Ran)
        {
            Log.LogInformation("Reminders: slot {Slot}, {Created} new, {Emailed} emailed", r.Slot, r.Created, r.Emailed);
        }
    }
}
