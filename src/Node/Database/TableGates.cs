namespace HTableCluster.Node.Database;

/// <summary>One lock per table name: a table is loaded, reloaded or stored by one caller at a time.</summary>
internal sealed class TableGates
{
    private readonly Dictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    /// <summary>Waits for <paramref name="table"/>'s turn; dispose the result to release it.</summary>
    public async Task<IDisposable> EnterAsync(string table, CancellationToken cancellationToken)
    {
        SemaphoreSlim gate;
        lock (_gates)
        {
            if (!_gates.TryGetValue(table, out gate!))
                _gates[table] = gate = new SemaphoreSlim(1, 1);
        }
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Turn(gate);
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
