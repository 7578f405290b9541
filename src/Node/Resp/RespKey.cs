using System.Text;
using HTableCluster.Node.Tables;

namespace HTableCluster.Node.Resp;

/// <summary>
/// Where a Redis key lives: its table and the item's key. <see cref="Error"/> is set instead when
/// the key cannot be placed (no table, or a key that is not valid UTF-8); reply with it as it is.
/// </summary>
public readonly record struct RespKey(TableClient? Table, string Key, RespReply? Error)
{
    /// <summary>Places <paramref name="key"/> as <see cref="RespContext.Resolve"/> describes.</summary>
    public static RespKey Resolve(RespServer server, int database, ReadOnlySpan<byte> key)
    {
        string text;
        try
        {
            text = Strict.GetString(key);
        }
        catch (DecoderFallbackException)
        {
            return new(null, "", RespReply.Error("ERR keys must be valid UTF-8 (htable keys are text)"));
        }
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && (colon + 1 == text.Length || text[colon + 1] != ':') && server.Node.Find(text[..colon]) is { } prefixed)
            return new(prefixed, text[(colon + 1)..], null);
        var databases = server.Databases;
        if (database < 0 || database >= databases.Count)
            return new(null, text, RespReply.Error("ERR no table is selected: SELECT a database (CONFIG GET databases lists them)"));
        return new(databases[database], text, null);
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
