using NodaTime;

namespace ImidCare.Server.Tests.Support;

/// <summary>A clock the tests move by hand (NodaTime.Testing does not restore here).</summary>
public sealed class SettableClock(Instant start) : IClock
{
    private long ticks = start.ToUnixTimeTicks();

    public Instant Now
    {
        get => Instant.FromUnixTimeTicks(Interlocked.Read(ref ticks));
        set => Interlocked.Exchange(ref ticks, value.ToUnixTimeTicks());
    }

    public Instant GetCurrentInstant() => Now;

    public void Advance(Duration d) => Now += d;
}
