using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ImidCare.Server.Tests.Reminders;

/// <summary>
/// A real SMTP server for the tests: Debian's python3-aiosmtpd (installed by ./test.sh, run by
/// /usr/bin/python3: a python3 earlier on PATH may not see Debian's packages), writing
/// each message it accepts into a folder, the envelope recipients first.
/// </summary>
public sealed class SmtpSink : IDisposable
{
    private const string Script = """
        import os, sys, uuid
        from aiosmtpd.controller import Controller

        class Keep:
            async def handle_DATA(self, server, session, envelope):
                name = os.path.join(sys.argv[2], uuid.uuid4().hex)
                with open(name + '.tmp', 'wb') as f:
                    f.write(('X-Envelope-To: ' + ','.join(envelope.rcpt_tos) + '\r\n').encode() + envelope.content)
                os.rename(name + '.tmp', name + '.eml')
                return '250 OK'

        c = Controller(Keep(), hostname='127.0.0.1', port=int(sys.argv[1]))
        c.start()
        print('ready', flush=True)
        sys.stdin.read()
        c.stop()
        """;

    private readonly Process process;

    public SmtpSink()
    {
        Port = FreePort();
        Folder = Directory.CreateTempSubdirectory("imidcare-smtp-").FullName;
        var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", Script, Port.ToString(System.Globalization.CultureInfo.InvariantCulture), Folder])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        process = Process.Start(psi)!;
        var line = process.StandardOutput.ReadLine();
        if (line != "ready")
        {
            throw new InvalidOperationException("The SMTP sink (python3-aiosmtpd) did not start: " + process.StandardError.ReadToEnd());
        }
    }

    public int Port { get; }

    public string Folder { get; }

    /// <summary>Every message received so far: envelope recipients and the raw text.</summary>
    public IReadOnlyList<(string To, string Text)> Messages => [.. Directory.GetFiles(Folder, "*.eml").Select(f =>
    {
        var text = File.ReadAllText(f);
        var first = text[..text.IndexOf('\n', StringComparison.Ordinal)].Trim();
        return (first["X-Envelope-To: ".Length..], text);
    })];

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.Dispose();
        try
        {
            Directory.Delete(Folder, true);
        }
        catch (IOException)
        {
            // Left in the temp folder.
        }
    }
}
