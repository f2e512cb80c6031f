using System.Diagnostics;

namespace ImidCare.Server.Web;

/// <summary>
/// Prints a self-contained HTML document to PDF with headless Chromium (Debian's /usr/bin/chromium;
/// ImidCare:Chromium names another). QuestPDF does not restore here; Chromium prints exactly what
/// the page shows.
/// </summary>
public sealed class PdfPrinter(IConfiguration config, ILogger<PdfPrinter> log)
{
    public string Executable => config["ImidCare:Chromium"] ?? "/usr/bin/chromium";

    public bool Available => File.Exists(Executable);

    public async Task<byte[]?> PrintAsync(string html, CancellationToken ct)
    {
        if (!Available)
        {
            return null;
        }

        var dir = Directory.CreateTempSubdirectory("imidcare-pdf-").FullName;
        try
        {
            var input = Path.Combine(dir, "document.html");
            var output = Path.Combine(dir, "document.pdf");
            await File.WriteAllTextAsync(input, html, ct);
            var psi = new ProcessStartInfo(Executable)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var a in new[]
                     {
                         "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--no-pdf-header-footer", $"--user-data-dir={Path.Combine(dir, "profile")}", $"--print-to-pdf={output}", new Uri(input).AbsoluteUri,
                     })
            {
                psi.ArgumentList.Add(a);
            }

            using var process = Process.Start(psi)!;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            var drainOut = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var drainErr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            await Task.WhenAll(drainOut, drainErr);
            if (!File.Exists(output))
            {
                log.LogWarning("Chromium produced no PDF (exit {Code}): {Error}", process.ExitCode, await drainErr);
                return null;
            }

            return await File.ReadAllBytesAsync(output, ct);
        }
        finally
        {
            try
            {
                Directory.Delete(dir, true);
            }
            catch (IOException)
            {
                // Chromium may still hold its profile for a moment; the temp folder is left behind.
            }
        }
    }
}
