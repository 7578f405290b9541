namespace HTableCluster.Node.Resp;

/// <summary>Byte helpers for command words (ASCII, as Redis compares them).</summary>
public static class RespBytes
{
    /// <summary>True when <paramref name="word"/> equals <paramref name="upper"/> (upper-case ASCII) ignoring ASCII case.</summary>
    public static bool EqualsIgnoreCase(this ReadOnlySpan<byte> word, ReadOnlySpan<byte> upper) =>
        System.Text.Ascii.EqualsIgnoreCase(word, upper);
}
