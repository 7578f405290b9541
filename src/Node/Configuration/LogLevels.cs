using Microsoft.Extensions.Configuration;

namespace HTableCluster.Node.Configuration;

/// <summary>
/// The <c>Logging</c> section: levels per category (<c>Logging:LogLevel:Default</c>,
/// <c>Logging:LogLevel:Akka</c>, <c>Logging:Console:LogLevel:...</c>), validated at start so a typo in
/// a level is refused naming the key instead of failing inside the logging setup.
/// </summary>
public static class LogLevels
{
    /// <summary>Throws <see cref="OptionsException"/> for a level that is not a <see cref="LogLevel"/> name.</summary>
    public static void Validate(IConfiguration logging)
    {
        ArgumentNullException.ThrowIfNull(logging);
        foreach (var (key, value) in Levels(logging))
        {
            if (!TryParse(value, out _))
                throw new OptionsException(key, value, $"expected one of {string.Join(", ", Enum.GetNames<LogLevel>())}");
        }
    }

    /// <summary>
    /// Akka.NET's own <c>akka.loglevel</c>: the lowest level configured for the default or an
    /// <c>Akka</c> category (Akka does not even produce events below it), at most Information.
    /// </summary>
    public static Akka.Event.LogLevel AkkaLevel(IConfiguration logging)
    {
        ArgumentNullException.ThrowIfNull(logging);
        var lowest = LogLevel.Information;
        foreach (var (key, value) in Levels(logging))
        {
            var category = key[(key.LastIndexOf(':') + 1)..];
            if ((category.Equals("Default", StringComparison.OrdinalIgnoreCase) || category.StartsWith("Akka", StringComparison.OrdinalIgnoreCase))
                && TryParse(value, out var level) && level < lowest)
                lowest = level;
        }
        return lowest <= LogLevel.Debug ? Akka.Event.LogLevel.DebugLevel : Akka.Event.LogLevel.InfoLevel;
    }

    // Logging:LogLevel:<category> and Logging:<provider>:LogLevel:<category>.
    private static IEnumerable<(string Key, string Value)> Levels(IConfiguration logging)
    {
        foreach (var (key, value) in logging.AsEnumerable())
        {
            if (value is null)
                continue;
            var parts = key.Split(':');
            if ((parts.Length == 3 && parts[1].Equals("LogLevel", StringComparison.OrdinalIgnoreCase))
                || (parts.Length == 4 && parts[2].Equals("LogLevel", StringComparison.OrdinalIgnoreCase)))
                yield return (key, value);
        }
    }

    private static bool TryParse(string value, out LogLevel level) =>
        Enum.TryParse(value, ignoreCase: true, out level) && Enum.IsDefined(level) && !int.TryParse(value, out _);
}
