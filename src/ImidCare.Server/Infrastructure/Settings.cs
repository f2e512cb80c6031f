using System.Globalization;
using NodaTime;

namespace ImidCare.Server.Infrastructure;

/// <summary>How the server's own switches and periods are read from configuration, once for every option record.</summary>
public static class Settings
{
    /// <summary>On unless set to "false": every ImidCare switch defaults to on, so the README's run command needs none.</summary>
    public static bool On(IConfiguration config, string key) =>
        !string.Equals(config[key], "false", StringComparison.OrdinalIgnoreCase);

    /// <summary>A positive TimeSpan ("00:01:00"), or <paramref name="fallback"/> when unset, unreadable or not positive.</summary>
    public static Duration Period(IConfiguration config, string key, Duration fallback) =>
        TimeSpan.TryParse(config[key], CultureInfo.InvariantCulture, out var t) && t > TimeSpan.Zero ? Duration.FromTimeSpan(t) : fallback;
}
