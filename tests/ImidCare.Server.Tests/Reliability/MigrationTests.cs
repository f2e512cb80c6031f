using ImidCare.Server.Tests.Support;
using ImidCare.Server.Therapy;
using ImidCare.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests.Reliability;

/// <summary>
/// A database made by an earlier release is upgraded in place with its rows kept, and a migration
/// taken back leaves a database the earlier release can write to again. Every other test starts
/// from an empty database, which proves only the path from nothing.
/// </summary>
public sealed class MigrationTests
{
    private const string BeforeDecisionsStoredOnce = "20261122050000_SweepIndexes";

    [Theory]
    [InlineData(StorageProvider.Sqlite)]
    [InlineData(StorageProvider.Postgres)]
    public async Task RowsWrittenWithTheirDecision_SurviveTheUpgrade_AndTheDowngradeTakesWritesAgain(StorageProvider provider)
    {
        await using var store = await TestDatabase.CreateAsync(provider);
        await using var db = await AtAsync(store, BeforeDecisionsStoredOnce);
        var migrator = db.GetService<IMigrator>();
        await InsertAsReleasedAsync(db, "1");

        await migrator.MigrateAsync();

        var authorization = await db.Authorizations.AsNoTracking().SingleAsync(a => a.Number == "A1");
        authorization.State.ShouldBe("Dispensed");
        authorization.ValidThrough.ShouldBe(new LocalDate(2026, 11, 30));
        (await db.Confirmations.AsNoTracking().SingleAsync(c => c.Number == "C1")).AuthorizationNumber.ShouldBe("A1");
        (await db.Surveys.AsNoTracking().SingleAsync(s => s.Id == "srv1")).Outcome.ShouldBe("Allowed");
        (await ColumnsAsync(db, "confirmations")).ShouldNotContain("DecisionJson");

        await migrator.MigrateAsync(BeforeDecisionsStoredOnce);
        (await ColumnsAsync(db, "confirmations")).ShouldContain("DecisionJson");
        await InsertAsReleasedAsync(db, "2");
        (await db.Database.SqlQueryRaw<string>("""SELECT "DecisionJson" AS "Value" FROM confirmations WHERE "Number" = 'C1'""").SingleAsync()).ShouldBe("{}");
    }

    private const string BeforeOneDoseEntryPerDay = "20261205000000_PlanDoseInterval";

    /// <summary>
    /// Diaries written before the one-entry-per-day rule hold several rows for some days: the
    /// migration keeps, per patient and day, the row the reads kept (<see cref="TherapyService.OnePerDay"/>:
    /// the latest recorded, ties to the greatest id in ordinal order), deletes the others, and makes
    /// the index unique; taken back, the index takes a second row for a day again.
    /// On PostgreSQL the ids are given a linguistic collation first, as a database made with
    /// en_US.UTF-8 has them ("dose_a" before "dose_B"), so a tie is decided ordinally or the test fails.
    /// </summary>
    [Theory]
    [InlineData(StorageProvider.Sqlite)]
    [InlineData(StorageProvider.Postgres)]
    public async Task DaysWithSeveralDiaryRows_KeepTheRowTheReadsKept_AndTheDayBecomesUnique(StorageProvider provider)
    {
        await using var store = await TestDatabase.CreateAsync(provider);
        await using var db = await AtAsync(store, BeforeOneDoseEntryPerDay);
        var migrator = db.GetService<IMigrator>();
        if (provider == StorageProvider.Postgres)
        {
            await db.Database.ExecuteSqlRawAsync("""ALTER TABLE dose_entries ALTER COLUMN "Id" TYPE text COLLATE "und-x-icu";""");
        }

        var day1 = new DateOnly(2026, 11, 10);
        var day2 = new DateOnly(2026, 11, 11);
        var day3 = new DateOnly(2026, 11, 12);
        await InsertDoseAsync(db, "dose_1", "pat1", day1, "missed", 100);
        await InsertDoseAsync(db, "dose_2", "pat1", day1, "taken", 300);
        await InsertDoseAsync(db, "dose_3", "pat1", day1, "skipped", 200);
        await InsertDoseAsync(db, "dose_B", "pat1", day2, "missed", 500);
        await InsertDoseAsync(db, "dose_a", "pat1", day2, "taken", 500);
        await InsertDoseAsync(db, "dose_single", "pat1", day3, "taken", 100);
        await InsertDoseAsync(db, "dose_other", "pat2", day1, "taken", 100);
        var read = (await db.DoseEntries.AsNoTracking().ToListAsync()).GroupBy(d => d.PatientId).SelectMany(TherapyService.OnePerDay).Select(d => d.Id).Order().ToList();
        read.ShouldBe(["dose_2", "dose_a", "dose_other", "dose_single"]);

        await migrator.MigrateAsync();

        (await db.DoseEntries.AsNoTracking().Select(d => d.Id).ToListAsync()).Order().ShouldBe(read);
        (await DoseIndexIsUniqueAsync(db)).ShouldBeTrue();
        var duplicate = await Should.ThrowAsync<System.Data.Common.DbException>(() => InsertDoseAsync(db, "dose_4", "pat1", day1, "taken", 400));
        (duplicate is Microsoft.Data.Sqlite.SqliteException { SqliteExtendedErrorCode: 2067 } or Npgsql.PostgresException { SqlState: "23505" }).ShouldBeTrue(duplicate.ToString());

        await migrator.MigrateAsync(BeforeOneDoseEntryPerDay);
        (await DoseIndexIsUniqueAsync(db)).ShouldBeFalse();
        await InsertDoseAsync(db, "dose_4", "pat1", day1, "taken", 400);
        (await db.DoseEntries.CountAsync(d => d.PatientId == "pat1" && d.Date == LocalDate.FromDateOnly(day1))).ShouldBe(2);
    }

    private const string BeforeIdempotencyRetention = "20261206000000_OneDoseEntryPerDay";

    /// <summary>The answers stored before the upgrade are kept (the purge deletes them later, in batches) and gain the index on At; taken back, it goes.</summary>
    [Theory]
    [InlineData(StorageProvider.Sqlite)]
    [InlineData(StorageProvider.Postgres)]
    public async Task StoredIdempotencyAnswers_SurviveTheUpgrade_AndGainTheIndexThePurgeReadsBy(StorageProvider provider)
    {
        await using var store = await TestDatabase.CreateAsync(provider);
        await using var db = await AtAsync(store, BeforeIdempotencyRetention);
        var migrator = db.GetService<IMigrator>();
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO idempotency ("CallerId", "Key", "RequestHash", "StatusCode", "ResponseJson", "At")
            VALUES ('phy1', 'k1', 'h', 201, '{{}}', 1), ('phy1', 'k2', 'h', 201, '{{}}', 2)
            """);
        (await IndexesAsync(db, "idempotency")).ShouldNotContain("ix_idempotency_at");

        await migrator.MigrateAsync();
        (await db.IdempotencyRecords.CountAsync()).ShouldBe(2);
        (await IndexesAsync(db, "idempotency")).ShouldContain("ix_idempotency_at");

        await migrator.MigrateAsync(BeforeIdempotencyRetention);
        (await IndexesAsync(db, "idempotency")).ShouldNotContain("ix_idempotency_at");
        (await db.IdempotencyRecords.CountAsync()).ShouldBe(2);
    }

    private static Task<List<string>> IndexesAsync(ImidCareDb db, string table) => db.Database.IsSqlite()
        ? db.Database.SqlQuery<string>($"SELECT name AS \"Value\" FROM pragma_index_list({table})").ToListAsync()
        : db.Database.SqlQuery<string>($"SELECT indexname::text AS \"Value\" FROM pg_indexes WHERE tablename = {table}").ToListAsync();

    private const string BeforeCalendarFeedOwners = "20261207000000_IdempotencyRetention";

    /// <summary>
    /// Feeds made before makers were recorded keep working: each gets its own public id of the
    /// server's shape, never derived from the token's hash, and an unknown (null) maker; a feed made
    /// after the upgrade records its maker. Taken back, the release before writes a feed again.
    /// </summary>
    [Theory]
    [InlineData(StorageProvider.Sqlite)]
    [InlineData(StorageProvider.Postgres)]
    public async Task FeedsMadeBeforeMakersWereRecorded_GetAPublicIdAndAnUnknownMaker(StorageProvider provider)
    {
        await using var store = await TestDatabase.CreateAsync(provider);
        await using var db = await AtAsync(store, BeforeCalendarFeedOwners);
        var migrator = db.GetService<IMigrator>();
        await InsertFeedAsReleasedAsync(db, "hash_live", "pat1", 100, null);
        await InsertFeedAsReleasedAsync(db, "hash_ended", "pat1", 200, 300);

        await migrator.MigrateAsync();

        var feeds = await db.CalendarFeeds.AsNoTracking().OrderBy(f => f.CreatedAt).ToListAsync();
        feeds.Select(f => (f.TokenHash, f.PatientId, f.CreatedAt.ToUnixTimeTicks(), f.RevokedAt?.ToUnixTimeTicks()))
            .ShouldBe([("hash_live", "pat1", 100L, (long?)null), ("hash_ended", "pat1", 200L, 300L)]);
        feeds.ShouldAllBe(f => f.MadeById == null && f.MadeByRole == null && f.MadeByName == null);
        feeds.Select(f => f.Id).Distinct().Count().ShouldBe(2);
        foreach (var f in feeds)
        {
            f.Id.ShouldMatch("^feed_[0-9a-f]{16}$");
            f.Id.Length.ShouldBe(Rems.Ids.New("feed").Length);
            f.TokenHash.ShouldNotContain(f.Id["feed_".Length..]);
        }

        db.CalendarFeeds.Add(new Store.Entities.CalendarFeed
        {
            TokenHash = "hash_new", Id = "feed_new", PatientId = "pat1", CreatedAt = Instant.FromUnixTimeTicks(400), MadeById = "usr1", MadeByRole = "caregiver", MadeByName = "Carla",
        });
        await db.SaveChangesAsync();
        (await db.CalendarFeeds.AsNoTracking().SingleAsync(f => f.Id == "feed_new")).MadeByName.ShouldBe("Carla");
        var duplicate = await Should.ThrowAsync<System.Data.Common.DbException>(() => db.Database.ExecuteSqlRawAsync(
            """INSERT INTO calendar_feeds ("TokenHash", "Id", "PatientId", "CreatedAt") VALUES ('hash_other', 'feed_new', 'pat1', 500)"""));
        (duplicate is Microsoft.Data.Sqlite.SqliteException { SqliteExtendedErrorCode: 2067 } or Npgsql.PostgresException { SqlState: "23505" }).ShouldBeTrue(duplicate.ToString());

        await migrator.MigrateAsync(BeforeCalendarFeedOwners);
        (await ColumnsAsync(db, "calendar_feeds")).ShouldBe(["TokenHash", "PatientId", "CreatedAt", "RevokedAt"], ignoreOrder: true);
        await InsertFeedAsReleasedAsync(db, "hash_after_downgrade", "pat1", 600, null);
    }

    private static Task InsertFeedAsReleasedAsync(ImidCareDb db, string tokenHash, string patient, long createdAt, long? revokedAt) =>
        db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO calendar_feeds ("TokenHash", "PatientId", "CreatedAt", "RevokedAt") VALUES ({tokenHash}, {patient}, {createdAt}, {revokedAt})
            """);

    private static Task InsertDoseAsync(ImidCareDb db, string id, string patient, DateOnly date, string status, long recordedAt) =>
        db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO dose_entries ("Id", "PatientId", "Date", "Status", "Capsules", "RecordedBy", "RecordedAt")
            VALUES ({id}, {patient}, {date}, {status}, {(status == "taken" ? 1 : 0)}, 'usr1', {recordedAt})
            """);

    private static async Task<bool> DoseIndexIsUniqueAsync(ImidCareDb db) => db.Database.IsSqlite()
        ? await db.Database.SqlQuery<bool>($"SELECT \"unique\" AS \"Value\" FROM pragma_index_list('dose_entries') WHERE name = 'ix_dose_entries_patientid_date'").SingleAsync()
        : await db.Database.SqlQuery<bool>($"SELECT i.indisunique AS \"Value\" FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'ix_dose_entries_patientid_date'").SingleAsync();

    /// <summary>The three rows as the release before this migration wrote them, each with its decision.</summary>
    private static async Task InsertAsReleasedAsync(ImidCareDb db, string n)
    {
        var decision = """{"outcome":"allowed","usesUnverifiedRules":false,"reasons":[]}""";
        var validThrough = new DateOnly(2026, 11, 30);
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO authorizations ("Number", "PatientId", "PrescriberId", "ProgramId", "Drug", "Category", "DaysSupply", "IssuedAt", "ValidThrough", "ExpiresAt", "State", "Version", "DecisionJson")
            VALUES ({"A" + n}, 'pat1', 'prs1', 'lenalidomide-rems', 'lenalidomide', 'AdultMale', 28, {1L}, {validThrough}, {2L}, 'Dispensed', 3, {decision})
            """);
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO confirmations ("Number", "AuthorizationNumber", "PharmacyId", "IssuedAt", "ExpiresAt", "State", "Version", "DecisionJson")
            VALUES ({"C" + n}, {"A" + n}, 'phy1', {1L}, {2L}, 'dispensed', 2, {decision})
            """);
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO surveys ("Id", "PatientId", "ProgramId", "CompletedAt", "CompletedOn", "AnswersJson", "Outcome", "DecisionJson")
            VALUES ({"srv" + n}, 'pat1', 'lenalidomide-rems', {1L}, {validThrough}, {"{}"}, 'Allowed', {decision})
            """);
    }

    /// <summary>A context on <paramref name="store"/> whose schema is as <paramref name="migration"/> left it: what an earlier release made.</summary>
    private static async Task<ImidCareDb> AtAsync(TestDatabase store, string migration)
    {
        var db = store.Context();
        await db.GetService<IMigrator>().MigrateAsync(migration);
        return db;
    }

    private static Task<List<string>> ColumnsAsync(ImidCareDb db, string table) => db.Database.IsSqlite()
        ? db.Database.SqlQuery<string>($"SELECT name AS \"Value\" FROM pragma_table_info({table})").ToListAsync()
        : db.Database.SqlQuery<string>($"SELECT column_name::text AS \"Value\" FROM information_schema.columns WHERE table_name = {table}").ToListAsync();
}
