using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;
using Akka.Hosting.Logging;
using MelLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace HTableCluster.Node;

/// <summary>
/// Akka.NET's logger that hands each log event to the host's Microsoft.Extensions.Logging, with the
/// event's class as category and its source and message as the text. Akka.Hosting's own
/// <see cref="LoggerFactoryLogger"/> writes the event's full Akka rendering (level, timestamp,
/// thread, source) inside the host's line, so every line carried two timestamps and two levels.
/// </summary>
public sealed class AkkaLogForwarder : ActorBase, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private const string NoSeedNodes = "No seed-nodes configured, manual cluster join required";

    private readonly ILoggerFactory _factory;
    private readonly ConcurrentDictionary<Type, ILogger> _loggers = new();

    /// <summary>Created by the actor system from <c>akka.loggers</c>.</summary>
    public AkkaLogForwarder()
    {
        var setup = Context.System.Settings.Setup.Get<LoggerFactorySetup>();
        if (!setup.HasValue)
            throw new ConfigurationException("the actor system has no LoggerFactorySetup (Akka.Hosting adds it from the host's ILoggerFactory)");
        _factory = setup.Value.LoggerFactory;
    }

    /// <inheritdoc />
    protected override bool Receive(object message)
    {
        switch (message)
        {
            case InitializeLogger:
                Sender.Tell(new LoggerInitialized());
                return true;
            case LogEvent e:
                Write(_loggers.GetOrAdd(e.LogClass, static (type, factory) => factory.CreateLogger(Category(type)), _factory), e, e.LogLevel() == Akka.Event.LogLevel.WarningLevel && NotUpYet());
                return true;
            default:
                return false;
        }
    }

    // Before this node is an Up member, a peer it cannot reach yet is the normal start of a cluster
    // (the seeds start one after the other); joining that keeps failing is still a warning
    // ("Couldn't join seed nodes after [N] attempts").
    private bool NotUpYet() =>
        Context.System.HasExtension<Akka.Cluster.Cluster>()
        && Akka.Cluster.Cluster.Get(Context.System).SelfMember.Status is not (Akka.Cluster.MemberStatus.Up or Akka.Cluster.MemberStatus.WeaklyUp);

    /// <summary>
    /// Writes one Akka log event: its source and message, at its level. With <paramref name="joining"/>
    /// (the node is not an Up member yet), a connection refused by a peer is Debug, not Warning.
    /// </summary>
    internal static void Write(ILogger logger, LogEvent e, bool joining = false)
    {
        var level = Level(e.LogLevel());
        if (!logger.IsEnabled(level))
            return;
        var text = e.Message?.ToString();
        // Akka says this at every start without seed nodes; the node joins itself right after
        // (ClusterMember), so at Information it reads like a step the operator still has to take.
        // A seed that is not up yet refuses the connection at every normal start of a cluster.
        if ((level == MelLogLevel.Information && text is not null && text.EndsWith(NoSeedNodes, StringComparison.Ordinal))
            || (level == MelLogLevel.Warning && joining && text is not null && IsPeerNotUp(text)))
        {
            level = MelLogLevel.Debug;
            if (!logger.IsEnabled(level))
                return;
        }
        logger.Log(level, e.Cause, "[{AkkaSource}] {AkkaMessage}", e.LogSource, text);
    }

    private static bool IsPeerNotUp(string text) =>
        (text.StartsWith("AssociationError ", StringComparison.Ordinal) || text.StartsWith("Tried to associate with unreachable remote address", StringComparison.Ordinal))
        && text.Contains("Connection refused", StringComparison.Ordinal);

    // Events logged under a plain string source carry a placeholder class.
    internal static string Category(Type type) =>
        type == typeof(DummyClassForStringSources) ? "Akka" : type.FullName ?? type.Name;

    private static MelLogLevel Level(Akka.Event.LogLevel level) => level switch
    {
        Akka.Event.LogLevel.DebugLevel => MelLogLevel.Debug,
        Akka.Event.LogLevel.InfoLevel => MelLogLevel.Information,
        Akka.Event.LogLevel.WarningLevel => MelLogLevel.Warning,
        _ => MelLogLevel.Error,
    };
}
