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
        // Taken by the writer: nothing waits any more.
        await UntilAsync(gate, () => gate.Waiting == 0, "the held write to be taken");
        return (release, holding);
    }

    /// <summary>
    /// Waits until at least <paramref name="count"/> requests wait for the held writer. A fixed delay
    /// was a guess that a busy machine lost: a request that reached the queue late formed a batch of its own.
    /// </summary>
    public static Task QueuedAsync(WriteGate gate, int count) =>
        UntilAsync(gate, () => gate.Waiting >= count, $"{count} requests to wait for the writer");

    private static async Task UntilAsync(WriteGate gate, Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!done())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited 30 s for {what}; {gate.Waiting} wait now.");
            }

            await Task.Delay(5);
        }
    }
}
