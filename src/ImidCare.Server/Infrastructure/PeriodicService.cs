namespace ImidCare.Server.Infrastructure;

/// <summary>
/// A node's background loop: one round, then a pause, until the host stops. A failed round is
/// logged and the next one tries again (the database may be briefly away); stopping ends the loop
/// at once, in a round or in the pause.
/// </summary>
public abstract class PeriodicService(ILogger log, LogLevel failureLevel, string failure) : BackgroundService
{
    protected ILogger Log { get; } = log;

    /// <summary>The pause between the end of one round and the start of the next.</summary>
    protected abstract TimeSpan Pause { get; }

    protected abstract Task RunOnceAsync(CancellationToken ct);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.Log(failureLevel, e, failure);
            }

            try
            {
                await Task.Delay(Pause, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
