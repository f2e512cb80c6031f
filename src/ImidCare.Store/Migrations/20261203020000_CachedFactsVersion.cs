using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ImidCare.Store.Migrations;

/// <summary>
/// PostgreSQL only: a count of the committed transactions that wrote any table the status cache
/// keeps facts of (<see cref="DataGeneration.CachedTables"/>), moved by a statement trigger on each
/// of them, once per transaction, whoever writes: this server, another node, `psql`, a restore.
/// The change watcher reads it (<see cref="CachedFactsVersion"/>). Until now it read the server's
/// transaction snapshot, which also moves with every other writing transaction: an automatic
/// ANALYZE, a login, a diary entry, a savepoint of the node's own batch whose id it could not
/// know. Each of those emptied every node's cache. A trigger fires only for rows written.
/// The value a transaction took is kept in a transaction-local setting, so a second statement of
/// the same transaction does not move it again, and a savepoint rolled back takes it back with its
/// rows. SQLite needs none of this: one process owns the file, and its writer sees other
/// connections' commits through `PRAGMA data_version`.
/// The list of tables is fixed here, as a migration must be; a test holds it to CachedTables.
/// </summary>
[DbContext(typeof(ImidCareDb))]
[Migration("20261203020000_CachedFactsVersion")]
public sealed class CachedFactsVersionMigration : Migration
{
    private static readonly string[] Tables =
        ["authorizations", "patients", "enrollments", "holds", "surveys", "dispenses", "pharmacy_certifications", "prescriber_certifications", "outages"];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        if (!migrationBuilder.IsNpgsql())
        {
            return;
        }

        migrationBuilder.Sql($"""
            CREATE TABLE {CachedFactsVersion.Table} ("Id" integer PRIMARY KEY CHECK ("Id" = 1), "N" bigint NOT NULL);
            INSERT INTO {CachedFactsVersion.Table} ("Id", "N") VALUES (1, 0);
            CREATE FUNCTION {CachedFactsVersion.Function}() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE taken bigint;
            BEGIN
              IF coalesce(current_setting('{CachedFactsVersion.Setting}', true), '') = '' THEN
                UPDATE {CachedFactsVersion.Table} SET "N" = "N" + 1 WHERE "Id" = 1 RETURNING "N" INTO taken;
                PERFORM set_config('{CachedFactsVersion.Setting}', taken::text, true);
              END IF;
              RETURN NULL;
            END $$;
            """);
        foreach (var table in Tables)
        {
            migrationBuilder.Sql($"""
                CREATE TRIGGER {CachedFactsVersion.Trigger} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION {CachedFactsVersion.Function}();
                """);
        }
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        if (!migrationBuilder.IsNpgsql())
        {
            return;
        }

        foreach (var table in Tables)
        {
            migrationBuilder.Sql($"DROP TRIGGER {CachedFactsVersion.Trigger} ON {table};");
        }

        migrationBuilder.Sql($"DROP FUNCTION {CachedFactsVersion.Function}(); DROP TABLE {CachedFactsVersion.Table};");
    }
}
