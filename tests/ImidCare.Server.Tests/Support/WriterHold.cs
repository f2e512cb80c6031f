using ImidCare.Store;

namespace ImidCare.Server.Tests.Support;

public static class WriterHold
{
    /// <summary>Holds the writer with one write that waits, so the writes queued next form one batch.</summary>
    public static async Task<(TaskCompletionSource Release, Task<int> Holding)> HoldWriterAsync(WriteGate gate)
    {
        var release = new TaskCompletionSource();
        var holding = gate.RunAsync(async (db, audit, now) =>
        {
            await release.Task;
            return 0;
        });
        await Task.Delay(100);
        return (release, holding);
    }
}
