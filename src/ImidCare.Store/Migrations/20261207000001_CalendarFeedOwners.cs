using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ImidCare.Store.Migrations;

/// <summary>
/// A calendar feed gets a public id and a maker, so the patient can see who made each of their
/// subscriptions and end one, and a maker can end their own, without anyone handling the secret
/// address or its hash (which stays the primary key: the feed is looked up by it on every read,
/// and re-keying would make SQLite rebuild the table from a model snapshot we do not keep).
/// <para>
/// Feeds made before keep working and get a random id of the shape the server gives
/// (<c>feed_</c> and 16 hex digits); who made them was never recorded, so their maker stays null
/// ("unknown") and only the patient can end one. The audit trail's <c>calendar-feed.created</c>
/// records name who made each, but not which row: their data was empty.
/// </para>
/// </summary>
[DbContext(typeof(ImidCareDb))]
[Migration("20261207000001_CalendarFeedOwners")]
public sealed class CalendarFeedOwners : Migration
{
    private const string Index = "ix_calendar_feeds_id";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        // NOT NULL needs a default for the rows already there (SQLite adds no NOT NULL column
        // without one); every row is given its own id straight after.
        migrationBuilder.AddColumn<string>(name: "Id", table: "calendar_feeds", nullable: false, defaultValue: "");
        migrationBuilder.AddColumn<string>(name: "MadeById", table: "calendar_feeds", nullable: true);
        migrationBuilder.AddColumn<string>(name: "MadeByRole", table: "calendar_feeds", nullable: true);
        migrationBuilder.AddColumn<string>(name: "MadeByName", table: "calendar_feeds", nullable: true);
        if (migrationBuilder.IsNpgsql())
        {
            // Random per row (volatile random() is evaluated for each), not derived from the token hash.
            migrationBuilder.Sql("""UPDATE calendar_feeds SET "Id" = 'feed_' || substr(md5(random()::text || clock_timestamp()::text), 1, 16);""");
            migrationBuilder.Sql("""ALTER TABLE calendar_feeds ALTER COLUMN "Id" DROP DEFAULT;""");
        }
        else
        {
            migrationBuilder.Sql("""UPDATE calendar_feeds SET "Id" = 'feed_' || lower(hex(randomblob(8)));""");
        }

        migrationBuilder.CreateIndex(name: Index, table: "calendar_feeds", column: "Id", unique: true);
    }

    /// <summary>
    /// The columns go (plain ALTER TABLE, as DecisionsStoredOnce; the index first, since SQLite drops
    /// no indexed column); the feeds stay live, and the makers are in the audit trail.
    /// </summary>
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: Index, table: "calendar_feeds");
        foreach (var column in new[] { "MadeByName", "MadeByRole", "MadeById", "Id" })
        {
            migrationBuilder.Sql($"ALTER TABLE calendar_feeds DROP COLUMN \"{column}\";");
        }
    }
}
