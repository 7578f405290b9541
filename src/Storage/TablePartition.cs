using System.Text;

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
    private List<byte[]>? _changes;
    private long _pendingReset;

    internal TablePartition(HTable table, int index)
    {
        _table = table;
        Index = index;
        _map = new(table.SlotCount);
    }

    // Replaced only by Swap, on the writer's thread; readers read it once per operation.
    private volatile PartitionMap _map;

    /// <summary>The current contents; a reader reads this once per operation (see <see cref="Swap"/>).</summary>
    internal PartitionMap Map => _map;

    /// <summary>Position among the table's partitions.</summary>
    public int Index { get; }

    /// <summary>The owning table.</summary>
    public HTable Table => _table;

    private TableOptions Options => _table.Options;

    /// <summary>
    /// Version of the last reset seen here (local or replicated): items older than it are gone and
    /// older items arriving later are ignored.
    /// </summary>
    public long ResetVersion { get; private set; }

    /// <summary>Sets a string value (<c>$sht(t=&gt;k) = "v"</c>, <c>htable.sets</c>).</summary>
    public Entry SetString(in KeyRef key, ReadOnlySpan<byte> value, long? expireSeconds = null)
    {
        var (expires, sequence) = PlaceSet(key, expireSeconds);
        return Store(key, Entry.CreateString(key.Utf8, value, expires, _table.Clock.Next(), sequence));
    }

    /// <summary>Sets an integer value (<c>$sht(t=&gt;k) = 1</c>, <c>htable.seti</c>).</summary>
    public Entry SetInteger(in KeyRef key, long value, long? expireSeconds = null)
    {
        var (expires, sequence) = PlaceSet(key, expireSeconds);
        return Store(key, Entry.CreateInteger(key.Utf8, value, expires, _table.Clock.Next(), sequence));
    }

    /// <summary>Sets a string value with the expiry <paramref name="expiry"/> picks (Redis's SET EX/PX/KEEPTTL, APPEND).</summary>
    public Entry SetString(in KeyRef key, ReadOnlySpan<byte> value, ItemExpiry expiry)
    {
        var (expires, sequence) = PlaceSet(key, expiry);
        return Store(key, Entry.CreateString(key.Utf8, value, expires, _table.Clock.Next(), sequence));
    }

    /// <summary>Sets an integer value with the expiry <paramref name="expiry"/> picks.</summary>
    public Entry SetInteger(in KeyRef key, long value, ItemExpiry expiry)
    {
        var (expires, sequence) = PlaceSet(key, expiry);
        return Store(key, Entry.CreateInteger(key.Utf8, value, expires, _table.Clock.Next(), sequence));
    }

    /// <summary>
    /// Loads rows from a database into this partition (Kamailio's preload at start): stored at
    /// version 0, so that anything a peer replicates wins over them, and not recorded for replication
    /// (<see cref="TakeChanges"/> does not return them). Expiry as described on <see cref="LoadedItem"/>.
    /// A row is skipped when its expiry has passed; when its key holds an item with a version above 0
    /// (a local write or a replicated item, deletion markers included; in a table that does not
    /// replicate an expired item counts as missing); and when a reset has been seen here
    /// (<see cref="ResetVersion"/> above 0), since version 0 is older than any reset. A row replaces an
    /// earlier loaded item of the same key in its place; a new one goes after every item created
    /// before it. Every key must belong to this partition (<see cref="HTable.PartitionOf"/>).
    /// Returns how many rows were stored.
    /// </summary>
    public int Load(IEnumerable<LoadedItem> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var map = Map;
        var now = _table.Clock.NowMs;
        var n = 0;
        foreach (var row in rows)
        {
            var buffer = row.ToBuffer(Options, now);
            var hash = KeyHash.Of(row.KeyUtf8);
            if (KeyHash.PartitionOf(hash, _table.PartitionCount) != Index)
                throw new ArgumentException($"key '{Encoding.UTF8.GetString(row.KeyUtf8)}' belongs to another partition", nameof(rows));
            if (buffer is null || ResetVersion > 0)
                continue;
            var existing = map.Find((int)hash, row.KeyUtf8);
            if (existing is not null && ItemBuffer.VersionOf(existing) > 0
                && (_table.Replicated || !ItemBuffer.IsExpired(existing, now)))
                continue;
            var keepPlace = existing is not null && ItemBuffer.VersionOf(existing) == 0;
            ItemBuffer.SetSequence(buffer, keepPlace ? ItemBuffer.SequenceOf(existing!) : _table.NextSequence());
            map.Put((int)hash, buffer);
            n++;
        }
        return n;
    }

    /// <summary>
    /// Installs this partition's part of <paramref name="contents"/> (<c>htable.reload</c>) with one
    /// reference assignment: a concurrent reader sees either everything that was here or everything
    /// staged, never a mix. What was here goes as with <see cref="Clear"/> (items, deletion markers and
    /// expired items not yet collected, without expired events and without being recorded for
    /// replication), except what was stamped after staging began (<see cref="StagedContents.StartVersion"/>):
    /// a write, deletion or replicated item newer than the reload's start stays over the staged row.
    /// The swapped-in items (version 0) are not recorded, and the reset version stays. Changes recorded before the swap and not yet taken stay pending and are returned by the
    /// next <see cref="TakeChanges"/>: they are local writes already acknowledged, which peers must
    /// still receive. Each partition swaps a given contents in once. Returns how many items the
    /// partition holds now.
    /// </summary>
    public int Swap(StagedContents contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        if (!ReferenceEquals(contents.Table, _table))
            throw new ArgumentException("contents staged for another table", nameof(contents));
        var map = contents.Take(Index);
        // Writes made since staging began are newer than the database rows: they stay.
        foreach (var item in _map.Snapshot())
        {
            if (ItemBuffer.VersionOf(item) > contents.StartVersion)
                map.Put(ItemBuffer.HashOf(item), item);
        }
        _map = map;
        return map.Count;
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
        Put(key.Hash, existing.WithExpiry(seconds > 0 ? ExpiryAt(now, seconds) : 0, _table.Clock.Next()).Buffer);
        return true;
    }

    /// <summary>
    /// Sets the absolute expiry of an existing item in Unix milliseconds (0 clears it), as Redis's
    /// PEXPIREAT and PERSIST. Returns false when the key is missing. A time already past leaves an
    /// item that reads as missing until the sweep collects it (with its expired event).
    /// </summary>
    public bool SetExpireAt(in KeyRef key, long expiresAtMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expiresAtMs);
        var now = _table.Clock.NowMs;
        var existing = Live(key, now);
        if (existing is null)
            return false;
        Put(key.Hash, existing.WithExpiry(expiresAtMs, _table.Clock.Next()).Buffer);
        return true;
    }

    /// <summary>Deletes a key; returns the removed live item or null.</summary>
    public Entry? Delete(in KeyRef key)
    {
        var now = _table.Clock.NowMs;
        if (_table.Replicated)
        {
            var live = Live(key, now);
            if (live is not null)
                Bury(key.Hash, live, now);
            return live;
        }
        var removed = Map.Remove(key.Hash, key.Utf8);
        return removed is null || ItemBuffer.IsExpired(removed, now) ? null : new Entry(removed);
    }

    /// <summary>
    /// Adds <paramref name="delta"/> to an integer item (<c>$shtinc</c>/<c>$shtdec</c>). A missing
    /// key starts from initval when the table has one, else from 0.
    /// </summary>
    public (AddStatus Status, long Value) Add(in KeyRef key, long delta) => Add(key, delta, ItemExpiry.TableRule);

    /// <summary>
    /// Adds <paramref name="delta"/> as <see cref="Add(in KeyRef, long)"/> does, with the expiry
    /// <paramref name="expiry"/> picks (Redis's INCR keeps the key's expiry: <see cref="ItemExpiry.Retain"/>).
    /// </summary>
    public (AddStatus Status, long Value) Add(in KeyRef key, long delta, ItemExpiry expiry)
    {
        if (_table.Replicated)
            return AddToCounter(key, delta, expiry);
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
        var expires = ExpiryFor(existing?.Buffer, expiry, now);
        Put(key.Hash, Entry.CreateInteger(key.Utf8, value, expires, _table.Clock.Next(), SequenceFor(existing?.Buffer)).Buffer);
        return (AddStatus.Applied, value);
    }

    // In a replicated table an increment adds to this node's own total of a counter (CounterState),
    // so increments made on several nodes at once all count once the states meet.
    private (AddStatus Status, long Value) AddToCounter(in KeyRef key, long delta, ItemExpiry expiry)
    {
        var now = _table.Clock.NowMs;
        var raw = Map.Find(key.Hash, key.Utf8);
        var live = raw is null || ItemBuffer.IsExpired(raw, now) ? null : new Entry(raw);
        CounterState counter;
        long baseVersion;
        if (live is null)
        {
            // A missing key starts a new base just after whatever was there (a deletion marker, an
            // expired item, a reset): every node that knows the same past picks the same base.
            baseVersion = Math.Max(raw is null ? 0 : ItemBuffer.VersionOf(raw), ResetVersion) + 1;
            counter = CounterState.Start(Options.InitVal ?? 0);
        }
        else if (!live.IsInteger)
        {
            return (AddStatus.NotInteger, 0);
        }
        else
        {
            baseVersion = live.Version;
            counter = live.IsCounter ? ItemBuffer.CounterOf(raw!) : CounterState.Start(live.IntValue);
        }
        var current = counter.Value() ?? 0;
        if (!counter.Add(_table.ReplicaId, delta))
            return (AddStatus.Overflow, current);
        var value = counter.Value()!.Value;
        var e = Entry.CreateCounter(key.Utf8, counter, value, ExpiryFor(live?.Buffer, expiry, now), baseVersion, SequenceFor(live?.Buffer));
        Put(key.Hash, e.Buffer);
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
            if (ItemBuffer.IsExpired(item, now))
                continue;
            var e = new Entry(item);
            if (byValue ? matcher.IsValueMatch(e) : matcher.IsMatch(e.KeyUtf8))
                victims.Add(e);
        }
        foreach (var e in victims)
        {
            if (_table.Replicated)
                Bury(e.Hash, e, now);
            else
                Map.Remove(e.Hash, e.KeyUtf8);
        }
        return victims;
    }

    /// <summary>
    /// Removes everything (<c>sht_reset</c>, <c>htable.flush</c>): every item older than
    /// <paramref name="version"/> (stamped once for the whole table, so every partition and every
    /// node cuts at the same point). Without a version the clock stamps one. Returns how many live
    /// items went.
    /// </summary>
    public int Reset(long? version = null)
    {
        var v = version ?? _table.Clock.Next();
        var n = RemoveOlderThan(v, _table.Clock.NowMs);
        if (_table.Replicated && v > _pendingReset)
            _pendingReset = v;
        return n;
    }

    /// <summary>
    /// Applies an item from another node (last writer wins, <see cref="ItemBuffer.CompareVersions"/>):
    /// stored when newer than what is here and not older than the last reset. Takes ownership of
    /// <paramref name="item"/>, which must be a well-formed item buffer (<see cref="ItemBuffer.IsWellFormed"/>).
    /// Returns true when stored. Not recorded as a local change.
    /// </summary>
    public bool Merge(byte[] item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (!ItemBuffer.IsWellFormed(item))
            throw new ArgumentException("not an item buffer", nameof(item));
        var version = ItemBuffer.VersionOf(item);
        if (!_table.IsPlausible(version))
            return false;
        _table.Clock.Observe(version);
        if (version < ResetVersion)
            return false;
        var key = ItemBuffer.KeyOf(item);
        var hash = (int)KeyHash.Of(key);
        var existing = Map.Find(hash, key);
        if (existing is not null)
        {
            var sameBase = ItemBuffer.VersionOf(existing) == version;
            if (sameBase && ItemBuffer.IsCounter(item) && !ItemBuffer.IsTombstone(existing) && new Entry(existing).IsInteger)
                return MergeCounter(hash, item, existing);
            // The set a counter was built on, arriving after the counter: already included.
            if (sameBase && ItemBuffer.IsCounter(existing))
                return false;
            if (ItemBuffer.CompareVersions(item, existing) <= 0)
                return false;
        }
        // A replaced live item keeps its place in dump order; a new (or re-created) one goes last.
        var keepPlace = existing is not null && !ItemBuffer.IsTombstone(existing) && !ItemBuffer.IsTombstone(item);
        ItemBuffer.SetSequence(item, keepPlace ? ItemBuffer.SequenceOf(existing!) : _table.NextSequence());
        Map.Put(hash, item);
        return true;
    }

    // Two states of the same counter base: per-origin maximum, so the result does not depend on the
    // order or number of times states arrive.
    private bool MergeCounter(int hash, byte[] item, byte[] existing)
    {
        var state = ItemBuffer.IsCounter(existing) ? ItemBuffer.CounterOf(existing) : CounterState.Start(new Entry(existing).IntValue);
        state.MergeFrom(ItemBuffer.CounterOf(item));
        if (state.Value() is not { } value)
            return false;
        var expires = Math.Max(ItemBuffer.ExpiresAtMsOf(existing), ItemBuffer.ExpiresAtMsOf(item));
        var merged = Entry.CreateCounter(ItemBuffer.KeyOf(item), state, value, expires, ItemBuffer.VersionOf(item), ItemBuffer.SequenceOf(existing)).Buffer;
        if (merged.AsSpan().SequenceEqual(existing))
            return false;
        Map.Put(hash, merged);
        return true;
    }

    /// <summary>Applies a reset made on another node: items older than <paramref name="version"/> go.</summary>
    public int MergeReset(long version)
    {
        if (!_table.IsPlausible(version))
            return 0;
        _table.Clock.Observe(version);
        return version > ResetVersion ? RemoveOlderThan(version, _table.Clock.NowMs) : 0;
    }

    /// <summary>
    /// Drops every item and deletion marker here without recording a change or moving the reset
    /// version (a local resync that a peer's snapshot then refills). Returns how many live items went.
    /// </summary>
    public int Clear()
    {
        var now = _table.Clock.NowMs;
        var n = 0;
        foreach (var item in Map.Snapshot())
        {
            if (!ItemBuffer.IsExpired(item, now))
                n++;
        }
        Map.Clear();
        return n;
    }

    /// <summary>
    /// The changes made here since the last call, for replication (only for replicated tables):
    /// the new item buffers (deletion markers included) in order, and the version of a reset made
    /// meanwhile (0 for none). Null when nothing changed.
    /// </summary>
    public (IReadOnlyList<byte[]> Items, long ResetVersion)? TakeChanges()
    {
        if (_changes is null && _pendingReset == 0)
            return null;
        IReadOnlyList<byte[]> items = _changes ?? (IReadOnlyList<byte[]>)[];
        var reset = _pendingReset;
        _changes = null;
        _pendingReset = 0;
        return (items, reset);
    }

    /// <summary>
    /// Removes items whose expiry is due; returns them for the expired event. In a replicated table
    /// an expired item leaves a deletion marker with its own version (every node expires it the same
    /// way, so nothing is replicated), and markers older than the grace period go.
    /// </summary>
    public List<Entry> CollectExpired(long nowMs)
    {
        List<Entry>? expired = null;
        List<byte[]>? buried = null;
        var graceMs = _table.TombstoneGraceMs;
        foreach (var item in Map.Snapshot())
        {
            if (ItemBuffer.IsTombstone(item))
            {
                if (ItemBuffer.ExpiresAtMsOf(item) <= nowMs - graceMs)
                    (buried ??= []).Add(item);
            }
            else if (ItemBuffer.IsExpired(item, nowMs))
            {
                (expired ??= []).Add(new Entry(item));
            }
        }
        if (buried is not null)
        {
            foreach (var item in buried)
                Map.Remove(ItemBuffer.HashOf(item), ItemBuffer.KeyOf(item));
        }
        if (expired is null)
            return [];
        foreach (var e in expired)
        {
            if (_table.Replicated)
                Map.Put(e.Hash, Entry.CreateTombstone(e.KeyUtf8, e.Version, e.ExpiresAtMs, e.Sequence).Buffer);
            else
                Map.Remove(e.Hash, e.KeyUtf8);
        }
        return expired;
    }

    /// <summary>
    /// Writer only. Drops the deletion markers stamped before <paramref name="version"/> (every member
    /// has seen everything before it, so no older write can arrive any more); returns how many.
    /// </summary>
    public int DropMarkersBefore(long version)
    {
        List<byte[]>? dropped = null;
        foreach (var item in Map.Snapshot())
        {
            if (ItemBuffer.IsTombstone(item) && ItemBuffer.VersionOf(item) < version)
                (dropped ??= []).Add(item);
        }
        if (dropped is null)
            return 0;
        foreach (var item in dropped)
            Map.Remove(ItemBuffer.HashOf(item), ItemBuffer.KeyOf(item));
        return dropped.Count;
    }

    private int RemoveOlderThan(long version, long now)
    {
        var n = 0;
        List<byte[]>? victims = null;
        foreach (var item in Map.Snapshot())
        {
            if (ItemBuffer.VersionOf(item) >= version)
                continue;
            (victims ??= []).Add(item);
            if (!ItemBuffer.IsExpired(item, now))
                n++;
        }
        if (victims is not null)
        {
            foreach (var item in victims)
                Map.Remove(ItemBuffer.HashOf(item), ItemBuffer.KeyOf(item));
        }
        if (version > ResetVersion)
            ResetVersion = version;
        return n;
    }

    // Replaces a live item with a deletion marker stamped with a fresh version.
    private void Bury(int hash, Entry live, long now) =>
        Put(hash, Entry.CreateTombstone(live.KeyUtf8, _table.Clock.Next(), now, live.Sequence).Buffer);

    // Every local write of a replicated table is recorded for replication.
    private void Put(int hash, byte[] item)
    {
        Map.Put(hash, item);
        if (_table.Replicated)
            (_changes ??= []).Add(item);
    }

    // A lifetime too large for the clock saturates instead of wrapping into the past.
    private static long ExpiryAt(long now, long seconds) =>
        seconds >= (long.MaxValue - now) / 1000 ? long.MaxValue : now + (seconds * 1000);

    /// <summary>The expiry the table's autoexpire gives a new item at <paramref name="now"/> (0 without autoexpire).</summary>
    internal static long AutoExpiry(TableOptions options, long now) =>
        options.AutoExpire > 0 ? now + (options.AutoExpire * 1000L) : 0;

    // Expiry and place of a set, by the table's rules.
    private (long Expires, int Sequence) PlaceSet(in KeyRef key, long? expireSeconds) =>
        PlaceSet(key, expireSeconds is > 0 and var s ? ItemExpiry.At(ExpiryAt(_table.Clock.NowMs, s)) : ItemExpiry.TableRule);

    private (long Expires, int Sequence) PlaceSet(in KeyRef key, ItemExpiry expiry)
    {
        // The raw buffer, not an Entry view: a set allocates only the new item.
        var now = _table.Clock.NowMs;
        var existing = Map.Find(key.Hash, key.Utf8);
        if (existing is not null && ItemBuffer.IsExpired(existing, now))
            existing = null;
        return (ExpiryFor(existing, expiry, now), SequenceFor(existing));
    }

    private Entry Store(in KeyRef key, Entry e)
    {
        Put(key.Hash, e.Buffer);
        return e;
    }

    // An update keeps the item's place; a new item goes after every item created before it in the
    // table (keys of one Kamailio slot may live in different partitions).
    private int SequenceFor(byte[]? existing) => existing is null ? _table.NextSequence() : ItemBuffer.SequenceOf(existing);

    private Entry? Live(in KeyRef key, long now)
    {
        var item = Map.Find(key.Hash, key.Utf8);
        return item is null || ItemBuffer.IsExpired(item, now) ? null : new Entry(item);
    }

    // Kamailio's rule: a new item gets autoexpire; an update restarts it when updateexpire=1
    // (with no autoexpire that clears any expiry set by setex) and keeps it otherwise.
    // An explicit lifetime <= 0 falls back to the table's rule (Kamailio's ht_set_cell_ex): callers
    // pass ItemExpiry.At only for a positive one. Keep and Retain are Redis's rules (KEEPTTL; an
    // update of the value keeps the key's expiry).
    private long ExpiryFor(byte[]? existing, ItemExpiry expiry, long now)
    {
        if (expiry.Kind == ItemExpiryKind.At)
            return expiry.AtMs;
        var auto = AutoExpiry(Options, now);
        if (existing is null)
            return auto;
        return expiry.Kind switch
        {
            ItemExpiryKind.Keep => ItemBuffer.ExpiresAtMsOf(existing),
            ItemExpiryKind.Retain when !(Options.UpdateExpire && Options.AutoExpire > 0) => ItemBuffer.ExpiresAtMsOf(existing),
            ItemExpiryKind.Retain => auto,
            _ => Options.UpdateExpire ? auto : ItemBuffer.ExpiresAtMsOf(existing),
        };
    }
}
