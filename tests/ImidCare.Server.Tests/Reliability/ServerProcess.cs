using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ImidCare.Server.Tests.Reliability;

/// <summary>
/// The real `imidcare` executable as a separate OS process (the test project's output holds it),
/// so a test can kill it with SIGKILL or run two of them against one database.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process process;
    private bool disposed;

    private ServerProcess(Process process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> output = new();

    /// <summary>Every line the process wrote to its console so far.</summary>
    public IReadOnlyCollection<string> Output => output;

    private void Keep(string? line)
    {
        if (line is not null)
        {
            output.Enqueue(line);
        }
    }

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "imidcare.dll");

    /// <summary>Runs a CLI command to completion and returns its exit code and output.</summary>
    public static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", [Dll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }

    /// <summary>
    /// `seed`, then `bench-seed` of <paramref name="authorizations"/> live authorizations (plus
    /// <paramref name="benchArgs"/>), as bench/load/run.sh makes its data: the numbers, in seeded order.
    /// </summary>
    public static async Task<string[]> SeedForLoadAsync(ImidCare.Store.StorageOptions storage, int authorizations, params string[] benchArgs)
    {
        var provider = storage.Provider == ImidCare.Store.StorageProvider.Postgres ? "postgres" : "sqlite";
        string[] on = ["--provider", provider, "--connection", storage.ConnectionString];
        var file = Path.GetTempFileName();
        try
        {
            string[][] commands = [["seed", .. on], ["bench-seed", .. on, "--authorizations", authorizations.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", file, .. benchArgs]];
            foreach (var command in commands)
            {
                var (exit, output) = await RunAsync(command);
                if (exit != 0)
                {
                    throw new InvalidOperationException($"imidcare {command[0]} exited {exit}: {output}");
                }
            }

            return await File.ReadAllLinesAsync(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Starts `imidcare serve`; configuration through <paramref name="settings"/> (environment, e.g. ImidCare__Reminders__Interval). The reminder job is off unless a test turns it on.</summary>
    public static async Task<ServerProcess> StartAsync(string provider, string connection, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet", [Dll, "serve", "--provider", provider, "--connection", connection, "--urls", $"http://127.0.0.1:{port}", "--no-demo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["ImidCare__Reminders__Enabled"] = "false";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        var p = Process.Start(psi)!;
        var server = new ServerProcess(p, new Uri($"http://127.0.0.1:{port}"));
        p.OutputDataReceived += (_, e) => server.Keep(e.Data);
        p.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        // Generous: under the whole suite on a shared two-core machine a cold start can take most of a minute.
        for (var i = 0; i < 1200; i++)
        {
            try
            {
                if ((await http.GetAsync("/health")).IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (p.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {p.ExitCode} before listening.");
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The server did not start within 120 s.");
    }

    /// <summary>SIGKILL: no shutdown hooks, no flush — as a power cut would leave it.</summary>
    public void KillHard() => process.Kill(entireProcessTree: true);

    public HttpClient Client(string apiKey)
    {
        var c = new HttpClient { BaseAddress = BaseAddress };
        c.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return c;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        // A test may stop a node early and still leave it in an `await using`.
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}
