using System.CommandLine;
using System.Diagnostics;
using ImidCare.Server.Hosting;
using ImidCare.Store;
using ImidCare.Store.Audit;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ImidCare.Server.Cli;

/// <summary>
/// `imidcare backup` and `imidcare restore`: a consistent copy of a running system and its return.
/// SQLite: `VACUUM INTO` reads one transaction-consistent snapshot while writers carry on (WAL).
/// PostgreSQL: pg_dump's custom format, itself one snapshot; pg_restore into an empty database.
/// A restore ends by verifying the audit chain, so a damaged backup is never silently accepted.
/// </summary>
public static class BackupCommands
{
    public static IEnumerable<Command> All()
    {
        var provider = new Option<string>("--provider") { DefaultValueFactory = _ => "sqlite" };
        var connection = new Option<string?>("--connection");
        var output = new Option<FileInfo>("--out") { Description = "The backup file to write (must not exist).", Required = true };
        var backup = new Command("backup", "Write a consistent backup of a (running) database.") { provider, connection, output };
        backup.SetAction(async (r, ct) =>
        {
            var storage = Storage(r.GetValue(provider)!, r.GetValue(connection));
            var target = r.GetValue(output)!;
            if (target.Exists)
            {
                Console.Error.WriteLine($"{target.FullName} exists; choose a new file.");
                return 2;
            }

            if (storage.Provider == StorageProvider.Sqlite)
            {
                await using var conn = new SqliteConnection(storage.ConnectionString);
                await conn.OpenAsync(ct);
                await using var cmd = conn.CreateCommand();
                cmd.CommandText = "VACUUM INTO $path";
                cmd.Parameters.AddWithValue("$path", target.FullName);
                await cmd.ExecuteNonQueryAsync(ct);
            }
            else
            {
                var (code, output) = await PgToolAsync("pg_dump", storage.ConnectionString, ["--format=custom", "--no-owner", $"--file={target.FullName}"], ct);
                if (code != 0)
                {
                    Console.Error.WriteLine($"pg_dump failed ({code}): {output}");
                    return 1;
                }
            }

            Console.WriteLine($"Backup written to {target.FullName} ({new FileInfo(target.FullName).Length:N0} bytes).");
            return 0;
        });

        var from = new Option<FileInfo>("--from") { Description = "The backup file.", Required = true };
        var restore = new Command("restore", "Restore a backup into a new, empty database (stop the server first), then verify the audit chain.") { provider, connection, from };
        restore.SetAction(async (r, ct) =>
        {
            var storage = Storage(r.GetValue(provider)!, r.GetValue(connection));
            var source = r.GetValue(from)!;
            if (!source.Exists)
            {
                Console.Error.WriteLine($"{source.FullName} does not exist.");
                return 2;
            }

            if (storage.Provider == StorageProvider.Sqlite)
            {
                var path = new SqliteConnectionStringBuilder(storage.ConnectionString).DataSource;
                if (File.Exists(path))
                {
                    Console.Error.WriteLine($"{path} exists: restore only into a new database, so nothing is overwritten.");
                    return 2;
                }

                File.Copy(source.FullName, path);
            }
            else
            {
                var (code, output) = await PgToolAsync("pg_restore", storage.ConnectionString, ["--no-owner", "--exit-on-error", source.FullName], ct);
                if (code != 0)
                {
                    Console.Error.WriteLine($"pg_restore failed ({code}): {output}");
                    return 1;
                }
            }

            var options = new DbContextOptionsBuilder<ImidCareDb>();
            storage.Configure(options);
            await using var db = new ImidCareDb(options.Options);
            var verify = await AuditChain.VerifyAsync(db, ct);
            if (!verify.Intact)
            {
                Console.Error.WriteLine($"Restored, but the audit chain is BROKEN at record {verify.FirstBrokenSeq}: {verify.Problem}");
                return 1;
            }

            Console.WriteLine($"Restored; audit chain intact ({verify.RecordsVerified} records).");
            return 0;
        });
        var sweep = new Command("compliance", "Run the compliance sweep and print counts and how long it took.") { provider, connection };
        sweep.SetAction(async (r, ct) =>
        {
            var storage = Storage(r.GetValue(provider)!, r.GetValue(connection));
            var options = new DbContextOptionsBuilder<ImidCareDb>();
            storage.Configure(options);
            await using var db = new ImidCareDb(options.Options);
            var report = await Admin.ComplianceSweep.RunAsync(db, NodaTime.SystemClock.Instance.GetCurrentInstant(), ct);
            Console.WriteLine($"Swept {report.PatientsSwept:N0} enrolled patients in {report.Seconds:0.00} s: {report.LateTestCount:N0} late pregnancy tests, " +
                $"{report.OverdueSurveyCount:N0} overdue surveys, {report.ExpiringTodayCount:N0} authorizations expiring today, {report.OnHoldCount:N0} on hold.");
            return 0;
        });
        return [backup, restore, sweep];
    }

    private static StorageOptions Storage(string provider, string? connection) => Commands.Storage(provider, connection);

    /// <summary>Runs a PostgreSQL client tool with the connection's parts as libpq environment variables (no password on the command line).</summary>
    private static async Task<(int Code, string Output)> PgToolAsync(string tool, string connectionString, string[] args, CancellationToken ct)
    {
        var cs = new NpgsqlConnectionStringBuilder(connectionString);
        var psi = new ProcessStartInfo(tool, [.. args, $"--dbname={cs.Database}"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        psi.Environment["PGHOST"] = cs.Host;
        psi.Environment["PGPORT"] = cs.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["PGUSER"] = cs.Username;
        if (cs.Password is { Length: > 0 } password)
        {
            psi.Environment["PGPASSWORD"] = password;
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{tool} could not be started; install postgresql-client.");
        var output = await p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        return (p.ExitCode, output);
    }
}
