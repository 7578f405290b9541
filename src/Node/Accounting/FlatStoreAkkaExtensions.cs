using Akka.Actor;
using Akka.Hosting;

namespace HTableCluster.Node.Accounting;

/// <summary>Akka.Hosting registration of the flatstore actors.</summary>
public static class FlatStoreAkkaExtensions
{
    /// <summary>
    /// Routes <paramref name="client"/>'s records through flatstore actors of this actor system (one
    /// per accounting table, <c>/user/flatstore-&lt;table&gt;</c>, made at the table's first record);
    /// before the actor system terminates, the client goes back to writing directly and the actors
    /// hand over what they hold.
    /// </summary>
    public static AkkaConfigurationBuilder WithFlatStore(this AkkaConfigurationBuilder builder, FlatStoreClient client)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(client);
        if (!client.Enabled)
            return builder;
        return builder.WithActors((system, _) =>
        {
            client.Attach(system);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "detach-flatstore", async () =>
            {
                await client.DetachAsync(system).ConfigureAwait(false);
                return Akka.Done.Instance;
            });
        });
    }
}
