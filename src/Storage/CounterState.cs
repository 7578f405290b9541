using System.Buffers.Binary;
using System.Text;

namespace HTableCluster.Storage;

/// <summary>
/// The increment state of a counter in a replicated table: a base (the value of the last set, or
/// initval when the key was missing) and, per origin, the running totals of increments and of
/// decrements since that base (each only grows). Totals merge by maximum, so increments made on
/// several nodes at once all count, in any arrival order and however often a state is received. The base is identified by the item's version: a
/// later set, delete, expiry change or reset starts a new base and drops the totals. Kept inside the
/// item buffer after its value, so readers and snapshots see it like any item.
/// </summary>
internal sealed class CounterState
{
    // Layout after the 8-byte value: base (8), origin count (2), then per origin: id length (1),
    // UTF-8 id, increments (8), decrements (8).
    public const int ValueOffset = sizeof(long);
    private const int FixedLength = sizeof(long) + sizeof(ushort);

    private CounterState(long baseValue, List<(string Origin, long Up, long Down)> totals)
    {
        BaseValue = baseValue;
        Totals = totals;
    }

    /// <summary>The base value.</summary>
    public long BaseValue { get; private set; }

    /// <summary>Each origin's total since the base, in a fixed order (by origin id).</summary>
    public List<(string Origin, long Up, long Down)> Totals { get; }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => FixedLength + Totals.Sum(t => 1 + Encoding.UTF8.GetByteCount(t.Origin) + (2 * sizeof(long)));

    /// <summary>A counter with no increments yet.</summary>
    public static CounterState Start(long baseValue) => new(baseValue, []);

    /// <summary>Base plus every total, or null when that leaves the 64-bit range.</summary>
    public long? Value()
    {
        try
        {
            var v = BaseValue;
            foreach (var (_, up, down) in Totals)
                v = checked(v + up - down);
            return v;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary>Adds to this origin's totals; false (nothing changed) when a total or the value would overflow.</summary>
    public bool Add(string origin, long delta)
    {
        var i = IndexOf(origin);
        (string Origin, long Up, long Down) before = i >= 0 ? Totals[i] : (origin, 0L, 0L);
        long up = before.Up, down = before.Down;
        try
        {
            if (delta >= 0)
                up = checked(up + delta);
            else
                down = checked(down - delta);
        }
        catch (OverflowException)
        {
            return false;
        }
        Set(i, (origin, up, down));
        if (Value() is null)
        {
            Set(IndexOf(origin), before);
            return false;
        }
        return true;
    }

    /// <summary>
    /// Takes in another state of the same base: per origin the larger total; for the base the lower
    /// value (two origins can disagree only when one saw the previous item expire a moment earlier;
    /// the lower one is chosen the same way everywhere).
    /// </summary>
    public void MergeFrom(CounterState other)
    {
        ArgumentNullException.ThrowIfNull(other);
        BaseValue = Math.Min(BaseValue, other.BaseValue);
        foreach (var t in other.Totals)
        {
            var i = IndexOf(t.Origin);
            if (i < 0)
                Set(i, t);
            else
                Set(i, (t.Origin, Math.Max(Totals[i].Up, t.Up), Math.Max(Totals[i].Down, t.Down)));
        }
    }

    public void Write(Span<byte> span)
    {
        BinaryPrimitives.WriteInt64LittleEndian(span, BaseValue);
        BinaryPrimitives.WriteUInt16LittleEndian(span[8..], (ushort)Totals.Count);
        var at = FixedLength;
        foreach (var (origin, up, down) in Totals)
        {
            var n = Encoding.UTF8.GetBytes(origin, span[(at + 1)..]);
            span[at] = (byte)n;
            at += 1 + n;
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], up);
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 8)..], down);
            at += 2 * sizeof(long);
        }
    }

    /// <summary>Reads the state from an item's value area (value first).</summary>
    public static CounterState Read(ReadOnlySpan<byte> value)
    {
        var span = value[ValueOffset..];
        var baseValue = BinaryPrimitives.ReadInt64LittleEndian(span);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(span[8..]);
        var totals = new List<(string, long, long)>(count);
        var at = FixedLength;
        for (var i = 0; i < count; i++)
        {
            int n = span[at];
            var origin = Encoding.UTF8.GetString(span.Slice(at + 1, n));
            at += 1 + n;
            totals.Add((origin, BinaryPrimitives.ReadInt64LittleEndian(span[at..]), BinaryPrimitives.ReadInt64LittleEndian(span[(at + 8)..])));
            at += 2 * sizeof(long);
        }
        return new CounterState(baseValue, totals);
    }

    /// <summary>Checks the layout of a received counter's value area, including that the value is base plus totals.</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> value)
    {
        if (value.Length < ValueOffset + FixedLength)
            return false;
        var span = value[ValueOffset..];
        int count = BinaryPrimitives.ReadUInt16LittleEndian(span[8..]);
        var at = FixedLength;
        for (var i = 0; i < count; i++)
        {
            if (at >= span.Length)
                return false;
            at += 1 + span[at] + (2 * sizeof(long));
            if (at > span.Length)
                return false;
        }
        if (at != span.Length)
            return false;
        var state = Read(value);
        return state.Totals.TrueForAll(t => t.Up >= 0 && t.Down >= 0) && state.Value() == BinaryPrimitives.ReadInt64LittleEndian(value);
    }

    private int IndexOf(string origin) => Totals.FindIndex(t => t.Origin == origin);

    // Keeps the totals sorted by origin id so that equal states encode to equal bytes.
    private void Set(int index, (string Origin, long Up, long Down) totals)
    {
        if (index >= 0)
        {
            Totals[index] = totals;
            return;
        }
        var at = Totals.FindIndex(t => string.CompareOrdinal(t.Origin, totals.Origin) > 0);
        Totals.Insert(at < 0 ? Totals.Count : at, totals);
    }
}
