using System.Collections.Concurrent;
using Akka.Actor;
using HTableCluster.FlatStore;
using HTableCluster.Replication;

namespace HTableCluster.Node.Accounting;

/// <summary>
/// Accounting records of this node (db_flatstore's insert), for the RPC layer and embedding
/// applications. Records go through the table's <see cref="FlatStoreActor"/> while the actor system
/// runs; while it is stopping or being rebuilt they are written straight to the files, which belong to
/// the process, so none is lost and none is acknowledged before it is written.
/// </summary>
public sealed class FlatStoreClient
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);
    private readonly FlatStoreFiles? _files;
    private readonly Lock _gate = new();
    private Generation? _current;
    private long _direct;

    /// <summary>Creates the client over <paramref name="files"/> (null: no flatstore directory is configured).</summary>
    public FlatStoreClient(FlatStoreFiles? files) => _files = files;

    /// <summary>True when a flatstore directory is configured.</summary>
    public bool Enabled => _files is not null;

    /// <summary>The files (null when not enabled).</summary>
    public FlatStoreFiles? Files => _files;

    /// <summary>Records written straight to the files while no actor system was there to take them.</summary>
    public long WrittenDirectly => Interlocked.Read(ref _direct);

    /// <summary>
    /// Appends one record to <paramref name="table"/>'s file; completes when it is written as
    /// FlatStore:Flush says. <see cref="ArgumentException"/>: the table cannot be written (bad name,
    /// too many tables); <see cref="IOException"/>: the write failed (directory gone, permission, disk
    /// full); <see cref="InvalidOperationException"/>: no flatstore directory is configured.
    /// </summary>
    public Task InsertAsync(string table, params IReadOnlyList<string?> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        return InsertManyAsync(table, [fields]);
    }

    /// <summary>Appends records to <paramref name="table"/>'s file as one block: written, and acknowledged or failed, together.</summary>
    public Task InsertManyAsync(string table, IReadOnlyCollection<IReadOnlyList<string?>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (_files is null)
            return Task.FromException(new InvalidOperationException("no flatstore directory is configured (FlatStore:Dir, --flatstore-dir)"));
        FlatLogWriter writer;
        try
        {
            writer = _files.Writer(table);
        }
        catch (ArgumentException ex)
        {
            return Task.FromException(ex);
        }
        if (rows.Count == 0)
            return Task.CompletedTask;
        lock (_gate)
        {
            if (_current is { } generation)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                generation.Actor(table, writer).Tell(new FlatStoreActor.Insert(rows, done));
                return done.Task;
            }
        }
        Interlocked.Add(ref _direct, rows.Count);
        return writer.AppendAsync(rows);
    }

    /// <summary>
    /// Closes every file once what was queued before is written; the next record of a table opens its
    /// file again (Kamailio's flat_rotate, for logrotate's rename-then-rotate).
    /// </summary>
    public Task RotateAsync() => _files?.RotateAsync() ?? Task.CompletedTask;

    /// <summary>Routes records through actors of <paramref name="system"/> from now on.</summary>
    internal void Attach(ActorSystem system)
    {
        lock (_gate)
            _current = new Generation(system);
        // Normally detached by the shutdown phase; this covers a system that ends without it.
        _ = system.WhenTerminated.ContinueWith(_ => DetachAsync(system), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
    }

    /// <summary>
    /// Stops routing through <paramref name="system"/>'s actors (records are written directly from
    /// now on) and waits until each of them has handed over what it was sent before.
    /// </summary>
    internal async Task DetachAsync(ActorSystem system)
    {
        Generation? generation;
        lock (_gate)
        {
            generation = _current;
            if (generation?.System != system)
                return;
            _current = null;
        }
        var drains = generation.Actors.Values.Select(a => a.Ask<FlatStoreActor.Drained>(FlatStoreActor.Drain.Instance, DrainTimeout));
        try
        {
            await Task.WhenAll(drains).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
        {
            // An actor already stopped (the system is going down without its shutdown phases).
        }
    }

    private sealed class Generation(ActorSystem system)
    {
        public ActorSystem System { get; } = system;

        public ConcurrentDictionary<string, IActorRef> Actors { get; } = new(StringComparer.Ordinal);

        // Called under the client's lock, so an actor is made once per table.
        public IActorRef Actor(string table, FlatLogWriter writer)
        {
            if (!Actors.TryGetValue(table, out var actor))
            {
                actor = System.ActorOf(FlatStoreActor.Props(writer), "flatstore-" + ActorNames.ForTable(table));
                Actors[table] = actor;
            }
            return actor;
        }
    }
}
