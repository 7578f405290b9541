namespace HTableCluster.Node.Database;

/// <summary>
/// One gate per table name, shared by everything that moves a table between memory and its
/// <c>dbtable</c>: the preload (<see cref="TableLoader"/>), <c>htable.reload</c> and <c>reloadat</c>
/// (<see cref="TableReloader"/>) and the store (<see cref="TableStore"/>). One node-wide instance, so
/// a table is loaded, reloaded or stored by one caller at a time: a store never writes a half-loaded
/// table, a reload never swaps in rows read while a store rewrote them. Also records which tables
/// have been loaded once: until then their memory holds only part of the database table (or none of
/// it), so storing it would delete rows (Kamailio writes back only tables it loaded, too).
/// </summary>
public sealed class TableGates
{
    private readonly Dictionary<string, Gate> _gates = new(StringComparer.Ordinal);

    /// <summary>Waits for <paramref name="table"/>'s turn; dispose the result to release it.</summary>
    public async Task<IDisposable> EnterAsync(string table, CancellationToken cancellationToken = default)
    {
        var gate = Of(table);
        await gate.Turns.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Turn(gate.Turns);
    }

    /// <summary>Records that <paramref name="table"/> has been read whole from its database (a preload or a reload).</summary>
    public void MarkLoaded(string table) => Of(table).Loaded.TrySetResult();

    /// <summary>True once <paramref name="table"/> has been read whole from its database.</summary>
    public bool IsLoaded(string table) => Of(table).Loaded.Task.IsCompleted;

    /// <summary>Completes when <paramref name="table"/> has been read whole from its database.</summary>
    public Task LoadedAsync(string table, CancellationToken cancellationToken = default) =>
        Of(table).Loaded.Task.WaitAsync(cancellationToken);

    private Gate Of(string table)
    {
        lock (_gates)
        {
            if (!_gates.TryGetValue(table, out var gate))
                _gates[table] = gate = new Gate();
            return gate;
        }
    }

    private sealed class Gate
    {
        public SemaphoreSlim Turns { get; } = new(1, 1);

        public TaskCompletionSource Loaded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Turn(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                gate.Release();
        }
    }
}
