namespace HTableCluster.Storage;

/// <summary>How a write picks the expiry of the item it stores.</summary>
public enum ItemExpiryKind
{
    /// <summary>htable's rule: a new item gets autoexpire; an update restarts it when updateexpire=1 (and clears an expiry when autoexpire=0), else keeps it.</summary>
    TableRule = 0,

    /// <summary>The live item's expiry stays as it is (Redis's KEEPTTL); a new item gets the table's rule.</summary>
    Keep = 1,

    /// <summary>
    /// An update of the value (Redis's INCR, APPEND, SETRANGE): the live item's expiry stays unless
    /// the table restarts it (autoexpire above 0 with updateexpire=1); a new item gets the table's rule.
    /// </summary>
    Retain = 2,

    /// <summary>The absolute time in <see cref="ItemExpiry.AtMs"/> (0: never, whatever autoexpire says).</summary>
    At = 3,
}

/// <summary>
/// The expiry rule of one write (<see cref="TablePartition.SetString(in KeyRef, ReadOnlySpan{byte}, ItemExpiry)"/>,
/// <see cref="TablePartition.Add(in KeyRef, long, ItemExpiry)"/>). The default is htable's rule.
/// </summary>
public readonly record struct ItemExpiry(ItemExpiryKind Kind, long AtMs)
{
    /// <summary>htable's rule (<see cref="ItemExpiryKind.TableRule"/>).</summary>
    public static ItemExpiry TableRule => default;

    /// <summary>Keep the live item's expiry (<see cref="ItemExpiryKind.Keep"/>).</summary>
    public static ItemExpiry Keep => new(ItemExpiryKind.Keep, 0);

    /// <summary>Keep it unless autoexpire restarts it (<see cref="ItemExpiryKind.Retain"/>).</summary>
    public static ItemExpiry Retain => new(ItemExpiryKind.Retain, 0);

    /// <summary>Expire at <paramref name="unixMs"/> (Unix milliseconds; 0: never).</summary>
    public static ItemExpiry At(long unixMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(unixMs);
        return new(ItemExpiryKind.At, unixMs);
    }
}
