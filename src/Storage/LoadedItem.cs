using System.Text;

namespace HTableCluster.Storage;

/// <summary>
/// One row loaded from a database (Kamailio's key_name, value_type, key_value and expires columns),
/// for <see cref="TablePartition.Load"/> and <see cref="StagedContents.Add"/>. Loaded items carry
/// version 0, so anything a peer replicates wins over them, and are never recorded for replication.
/// Arrays (<c>key[n]</c> plus <c>key::size</c>) and <c>cols</c> packing are expanded into plain rows by
/// the loader.
/// </summary>
/// <remarks>
/// Expiry follows Kamailio's database load: in a table without autoexpire a loaded item never expires
/// (the expires column is not read); with autoexpire, a row whose <see cref="ExpiresUnixSeconds"/> is
/// 0 gets now + autoexpire, like any new item, and a row with an absolute expiry keeps it, or is
/// skipped when that moment has passed. The loader passes 0 when <c>db_expires</c> is off.
/// </remarks>
public readonly struct LoadedItem
{
    private LoadedItem(byte[] keyUtf8, byte[]? valueUtf8, long intValue, long expiresUnixSeconds)
    {
        ArgumentNullException.ThrowIfNull(keyUtf8);
        ArgumentOutOfRangeException.ThrowIfNegative(expiresUnixSeconds);
        KeyUtf8 = keyUtf8;
        ValueUtf8 = valueUtf8;
        IntValue = intValue;
        ExpiresUnixSeconds = expiresUnixSeconds;
    }

    /// <summary>The key as UTF-8 (not copied; must not change afterwards).</summary>
    public byte[] KeyUtf8 { get; }

    /// <summary>The string value as UTF-8; null for an integer.</summary>
    public byte[]? ValueUtf8 { get; }

    /// <summary>The integer value (0 for a string).</summary>
    public long IntValue { get; }

    /// <summary>True for an integer row (value_type 1).</summary>
    public bool IsInteger => ValueUtf8 is null;

    /// <summary>The expires column: absolute Unix time in seconds, 0 for none (see the remarks).</summary>
    public long ExpiresUnixSeconds { get; }

    /// <summary>A string row.</summary>
    public static LoadedItem OfString(string key, string value, long expiresUnixSeconds = 0)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        return new(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value), 0, expiresUnixSeconds);
    }

    /// <summary>A string row from UTF-8 bytes (not copied).</summary>
    public static LoadedItem OfString(byte[] keyUtf8, byte[] valueUtf8, long expiresUnixSeconds = 0)
    {
        ArgumentNullException.ThrowIfNull(valueUtf8);
        return new(keyUtf8, valueUtf8, 0, expiresUnixSeconds);
    }

    /// <summary>An integer row.</summary>
    public static LoadedItem OfInteger(string key, long value, long expiresUnixSeconds = 0)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(Encoding.UTF8.GetBytes(key), null, value, expiresUnixSeconds);
    }

    /// <summary>An integer row from a UTF-8 key (not copied).</summary>
    public static LoadedItem OfInteger(byte[] keyUtf8, long value, long expiresUnixSeconds = 0) =>
        new(keyUtf8, null, value, expiresUnixSeconds);

    /// <summary>
    /// The item buffer of this row at version 0 (sequence still to be set), or null when its expiry
    /// has passed at <paramref name="nowMs"/> (see the remarks).
    /// </summary>
    internal byte[]? ToBuffer(TableOptions options, long nowMs)
    {
        if (KeyUtf8 is null)
            throw new ArgumentException("default(LoadedItem) is not a row");
        var expires = ExpiresUnixSeconds == 0 ? TablePartition.AutoExpiry(options, nowMs) : 0;
        if (options.AutoExpire > 0 && ExpiresUnixSeconds > 0)
        {
            expires = ExpiresUnixSeconds >= long.MaxValue / 1000 ? long.MaxValue : ExpiresUnixSeconds * 1000;
            if (expires <= nowMs)
                return null;
        }
        var e = IsInteger
            ? Entry.CreateInteger(KeyUtf8, IntValue, expires, 0, 0)
            : Entry.CreateString(KeyUtf8, ValueUtf8, expires, 0, 0);
        return e.Buffer;
    }
}
