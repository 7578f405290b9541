namespace HTableCluster.Storage;

/// <summary>Outcome of an increment.</summary>
public enum AddStatus
{
    /// <summary>The value was changed; the new value is returned.</summary>
    Applied = 0,
    /// <summary>The item holds a string.</summary>
    NotInteger = 1,
    /// <summary>The result would leave the 64-bit range; nothing changed.</summary>
    Overflow = 2,
}

/// <summary>
/// One share of a table's keys, owned by one writer. Every method that changes data must be called only
/// by the partition's owner (its table actor), one call at a time; readers use <see cref="HTable"/>.
/// Each change is stamped with a fresh version.
/// </summary>
public sealed class TablePartition
{
    private readonly HTable _table;

    internal TablePartition(HTable table, int index)
    {
        _table = table;
        Index = index;
    }

    internal PartitionMap Map { get; } = new();

    /// <summary>Position among the table's partitions.</summary>
    public int Index { get; }

    /// <summary>The owning table.</summary>
    public HTable Table => _table;

    private TableOptions Options => _table.Options;

    /// <summary>Sets a string value (<c>$sht(t=&gt;k) = "v"</c>, <c>htable.sets</c>).</summary>
    public Entry SetString(in KeyRef key, ReadOnlySpan<byte> value, long? expireSeconds = null)
    {
        var now = _table.Clock.NowMs;
        var existing = Live(key, now);
        var expires = ExpiryFor(existing, expireSeconds, now);
        var e = Entry.CreateString(key.Utf8, value, expires, _table.Clock.Next(), SequenceFor(existing));
        Map.Put(key.Hash, e.Buffer);
        return e;
    }

    /// <summary>Sets an integer value (<c>$sht(t=&gt;k) = 1</c>, <c>htable.seti</c>).</summary>
    public Entry SetInteger(in KeyRef key, long value, long? expireSeconds = null)
    {
        var now = _table.Clock.NowMs;
        var existing = Live(key, now);
        var expires = ExpiryFor(existing, expireSeconds, now);
        var e = Entry.CreateInteger(key.Utf8, value, expires, _table.Clock.Next(), SequenceFor(existing));
        Map.Put(key.Hash, e.Buffer);
        return e;
    }

    /// <summary>
    /// Sets the expiry of an existing item to now + <paramref name="seconds"/> (0 clears it), as
    /// <c>htable.setex</c>. Returns false when the key is missing.
    /// </summary>
    public bool SetExpire(in KeyRef key, long seconds)
    {
        var now = _table.Clock.NowMs;
        var existing = Live(key, now);
        if (existing is null)
            return false;
        Map.Put(key.Hash, existing.WithExpiry(seconds > 0 ? ExpiryAt(now, seconds) : 0, _table.Clock.Next()).Buffer);
        return true;
    }

    /// <summary>Deletes a key; returns the removed live item or null.</summary>
    public Entry? Delete(in KeyRef key)
    {
        var removed = Map.Remove(key.Hash, key.Utf8);
        return removed is null || Entry.IsExpired(removed, _table.Clock.NowMs) ? null : new Entry(removed);
    }

    /// <summary>
    /// Adds <paramref name="delta"/> to an integer item (<c>$shtinc</c>/<c>$shtdec</c>). A missing
    /// key starts from initval when the table has one, else from 0.
    /// </summary>
    public (AddStatus Status, long Value) Add(in KeyRef key, long delta)
    {
        var now = _table.Clock.NowMs;
        var existing = Live(key, now);
        long start;
        if (existing is null)
            start = Options.InitVal ?? 0;
        else if (!existing.IsInteger)
            return (AddStatus.NotInteger, 0);
        else
            start = existing.IntValue;

        long value;
        try
        {
            value = checked(start + delta);
        }
        catch (OverflowException)
        {
            return (AddStatus.Overflow, start);
        }
        var expires = ExpiryFor(existing, null, now);
        Map.Put(key.Hash, Entry.CreateInteger(key.Utf8, value, expires, _table.Clock.Next(), SequenceFor(existing)).Buffer);
        return (AddStatus.Applied, value);
    }

    /// <summary>Removes every live item whose name (or value) matches; returns the removed items.</summary>
    public List<Entry> RemoveWhere(Matcher matcher, bool byValue)
    {
        ArgumentNullException.ThrowIfNull(matcher);
        var now = _table.Clock.NowMs;
        var victims = new List<Entry>();
        foreach (var item in Map.Snapshot())
        {
            if (Entry.IsExpired(item, now))
                continue;
            var e = new Entry(item);
            if (byValue ? matcher.IsValueMatch(e) : matcher.IsMatch(e.KeyUtf8))
                victims.Add(e);
        }
        foreach (var e in victims)
            Map.Remove(e.Hash, e.KeyUtf8);
        return victims;
    }

    /// <summary>Removes everything (<c>sht_reset</c>, <c>htable.flush</c>); returns how many live items went.</summary>
    public int Reset()
    {
        var now = _table.Clock.NowMs;
        var n = 0;
        foreach (var item in Map.Snapshot())
        {
            if (!Entry.IsExpired(item, now))
                n++;
        }
        Map.Clear();
        return n;
    }

    /// <summary>Removes items whose expiry is due; returns them for the expired event.</summary>
    public List<Entry> CollectExpired(long nowMs)
    {
        List<Entry>? expired = null;
        foreach (var item in Map.Snapshot())
        {
            if (Entry.IsExpired(item, nowMs))
                (expired ??= []).Add(new Entry(item));
        }
        if (expired is null)
            return [];
        foreach (var e in expired)
            Map.Remove(e.Hash, e.KeyUtf8);
        return expired;
    }

    // A lifetime too large for the clock saturates instead of wrapping into the past.
    private static long ExpiryAt(long now, long seconds) =>
        seconds >= (long.MaxValue - now) / 1000 ? long.MaxValue : now + (seconds * 1000);

    // An update keeps the item's place; a new item goes after every item created before it in the
    // table (keys of one Kamailio slot may live in different partitions).
    private int SequenceFor(Entry? existing) => existing?.Sequence ?? _table.NextSequence();

    private Entry? Live(in KeyRef key, long now)
    {
        var item = Map.Find(key.Hash, key.Utf8);
        return item is null || Entry.IsExpired(item, now) ? null : new Entry(item);
    }

    // Kamailio's rule: a new item gets autoexpire; an update restarts it when updateexpire=1
    // (with no autoexpire that clears any expiry set by setex) and keeps it otherwise.
    private long ExpiryFor(Entry? existing, long? explicitSeconds, long now)
    {
        // An explicit lifetime <= 0 falls back to the table's rule (Kamailio's ht_set_cell_ex).
        if (explicitSeconds is > 0 and var s)
            return ExpiryAt(now, s);
        var auto = Options.AutoExpire > 0 ? now + (Options.AutoExpire * 1000L) : 0;
        if (existing is null || Options.UpdateExpire)
            return auto;
        return existing.ExpiresAtMs;
    }
}
