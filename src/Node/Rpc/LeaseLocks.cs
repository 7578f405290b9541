using System.Collections.Concurrent;

namespace HTableCluster.Node.Rpc;

/// <summary>
/// Node-local lease locks per (table, slot), the RPC form of sht_lock/sht_unlock. A lease ends by
/// itself, so a client that dies cannot hold a slot forever. Advisory: it excludes other lockers,
/// as Kamailio's slot lock excludes other scripts that lock.
/// </summary>
public sealed class LeaseLocks(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Table, int Slot), (string Token, long Until)> _held = new();

    private const int SweepAbove = 10_000;

    /// <summary>Takes the lock, waiting up to <paramref name="wait"/>; null when still held by another.</summary>
    public async Task<string?> AcquireAsync(string table, int slot, TimeSpan lease, TimeSpan wait)
    {
        if (_held.Count > SweepAbove)
            RemoveExpired();
        var deadline = time.GetTimestamp() + (long)(wait.TotalSeconds * time.TimestampFrequency);
        while (true)
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var token = Guid.NewGuid().ToString("N");
            var entry = (token, now + (long)lease.TotalMilliseconds);
            if (_held.TryAdd((table, slot), entry))
                return token;
            if (_held.TryGetValue((table, slot), out var cur) && cur.Until <= now
                && _held.TryUpdate((table, slot), entry, cur))
                return token;
            if (time.GetTimestamp() >= deadline)
                return null;
            await Task.Delay(TimeSpan.FromMilliseconds(5), time).ConfigureAwait(false);
        }
    }

    // Leases that ended without an unlock are dropped once many have piled up.
    private void RemoveExpired()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var kv in _held)
        {
            if (kv.Value.Until <= now)
                _held.TryRemove(kv);
        }
    }

    /// <summary>Releases the lock when <paramref name="token"/> still holds it.</summary>
    public bool Release(string table, int slot, string token)
    {
        if (!_held.TryGetValue((table, slot), out var cur) || cur.Token != token)
            return false;
        if (cur.Until <= time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            _held.TryRemove(new KeyValuePair<(string, int), (string, long)>((table, slot), cur));
            return false;
        }
        return _held.TryRemove(new KeyValuePair<(string, int), (string, long)>((table, slot), cur));
    }
}
