using Akka.Event;

namespace HTableCluster.Node;

/// <summary>
/// Akka.NET's "stdout" logger, used before the configured loggers start and after they stop (the
/// last lines of a shutdown), routed to the host's logging like <see cref="AkkaLogForwarder"/>, so
/// those lines too have one timestamp and one level. Akka creates it by class name
/// (<c>akka.stdout-logger-class</c>), so the host's logger factory is handed over statically before
/// the actor system starts.
/// </summary>
public sealed class AkkaStdoutLogger : MinimalLogger
{
    private static volatile ILoggerFactory? HostFactory;

    /// <summary>Hands over the host's logger factory (before an actor system starts).</summary>
    internal static void Use(ILoggerFactory factory) => HostFactory = factory;

    /// <summary>Forgets <paramref name="factory"/> if it is the current one (its host stops).</summary>
    internal static void Release(ILoggerFactory factory) => Interlocked.CompareExchange(ref HostFactory, null, factory);

    /// <inheritdoc />
    protected override void Log(object message)
    {
        if (message is not LogEvent e)
            return;
        if (HostFactory is { } factory)
        {
            try
            {
                AkkaLogForwarder.Write(factory.CreateLogger(AkkaLogForwarder.Category(e.LogClass)), e);
                return;
            }
            catch (ObjectDisposedException)
            {
                // The host that handed the factory over has gone (several nodes in one process).
                Release(factory);
            }
        }
        // No host logging (an actor system started outside a node): warnings and errors only.
        if (e.LogLevel() >= Akka.Event.LogLevel.WarningLevel)
            Console.Error.WriteLine($"akka {e.LogLevel()}: [{e.LogSource}] {e.Message}");
    }
}
