namespace HTableCluster.Storage;

/// <summary>
/// Hybrid logical clock: Unix milliseconds in the high bits and a 16-bit counter in the low bits, so
/// versions stamped on one node grow strictly even when the wall clock stalls or steps back.
/// Thread-safe; one instance per node.
/// </summary>
public sealed class HybridClock(TimeProvider time)
{
    private const int CounterBits = 16;
    private long _last;

    /// <summary>The time source, shared with expiry so tests can move time.</summary>
    public TimeProvider Time { get; } = time;

    /// <summary>Current wall-clock Unix milliseconds.</summary>
    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Returns a version greater than every version returned or observed before.</summary>
    public long Next()
    {
        var physical = NowMs << CounterBits;
        while (true)
        {
            var last = Volatile.Read(ref _last);
            var next = physical > last ? physical : last + 1;
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
                return next;
        }
    }

    /// <summary>The lowest version stamped at Unix time <paramref name="ms"/> (0 for 0).</summary>
    public static long FirstVersionAt(long ms) => ms << CounterBits;

    /// <summary>The highest version that can be stamped within <paramref name="driftMs"/> from now.</summary>
    public long Ceiling(long driftMs) => ((NowMs + driftMs) << CounterBits) | ((1L << CounterBits) - 1);

    /// <summary>Moves the clock past a version seen from another node.</summary>
    public void Observe(long version)
    {
        while (true)
        {
            var last = Volatile.Read(ref _last);
            if (version <= last || Interlocked.CompareExchange(ref _last, version, last) == last)
                return;
        }
    }
}
