using System.Collections.Frozen;

namespace HTableCluster.Node.Tables;

/// <summary>
/// The tables of this node, for embedding applications and the RPC layer. Filled once the actor
/// system has started the partition writers.
/// </summary>
public sealed class HTableNode
{
    private FrozenDictionary<string, TableClient> _tables = FrozenDictionary<string, TableClient>.Empty;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Tables in definition order.</summary>
    public IReadOnlyList<TableClient> Tables { get; private set; } = [];

    /// <summary>Completes when every table is ready for writes.</summary>
    public Task Started => _started.Task;

    /// <summary>True once started.</summary>
    public bool IsStarted => _started.Task.IsCompleted;

    /// <summary>The table or null when there is no such table.</summary>
    public TableClient? Find(string name) => _tables.GetValueOrDefault(name);

    /// <summary>The table; throws <see cref="ArgumentException"/> when it is not defined.</summary>
    public TableClient Table(string name) => Find(name) ?? throw new ArgumentException($"no table '{name}'", nameof(name));

    internal void Start(IReadOnlyList<TableClient> tables)
    {
        Tables = tables;
        _tables = tables.ToFrozenDictionary(t => t.Name, StringComparer.Ordinal);
        _started.TrySetResult();
    }
}
