using System.Globalization;
using System.Text.Json;

namespace HTableCluster.Node.Rpc;

/// <summary>
/// Positional parameters of one call. An object's members count by position (as Kamailio's
/// jsonrpcs reads them). Two families of accessors: <c>Kam*</c> reproduce Kamailio's lenient
/// scan (<c>S</c>, <c>.S</c>, <c>d</c>) for its own methods; <c>Strict*</c> validate types for the
/// methods this project adds.
/// </summary>
public readonly struct RpcParams
{
    private readonly JsonElement[] _items;

    /// <summary>Wraps the items.</summary>
    public RpcParams(JsonElement[] items) => _items = items;

    /// <summary>
    /// True when the parameters arrived over BINRPC (Kamailio's ctl module), whose scan converts
    /// differently from jsonrpcs: with auto-convert a string is parsed as an integer (C's
    /// <c>str2sint</c>), a double never becomes a string, and without auto-convert a value of another
    /// type fails. A BINRPC double reaches here as a JSON number with a fraction or exponent.
    /// </summary>
    public bool Ctl { get; init; }

    /// <summary>Number of parameters.</summary>
    public int Count => _items?.Length ?? 0;

    /// <summary>Raw parameter.</summary>
    public JsonElement this[int index] => _items[index];

    /// <summary>
    /// Kamailio's <c>S</c> (or <c>.S</c> with <paramref name="autoConvert"/>): a JSON string, or with
    /// auto-convert a number rendered as C's <c>(unsigned long)</c> of its value. Anything else fails.
    /// </summary>
    public bool KamString(int index, bool autoConvert, out string value)
    {
        value = "";
        if (index >= Count)
            return false;
        var e = _items[index];
        if (e.ValueKind == JsonValueKind.String)
        {
            value = e.GetString()!;
            return true;
        }
        if (Ctl && e.ValueKind == JsonValueKind.Number && IsCtlDouble(e))
            return false;
        if (autoConvert && e.ValueKind == JsonValueKind.Number)
        {
            var d = e.GetDouble();
            var truncated = Math.Truncate(d);
            value = truncated >= 0
                ? (truncated < 18446744073709551616.0 ? ((ulong)truncated).ToString(CultureInfo.InvariantCulture) : "0")
                : unchecked((ulong)(long)Math.Max(truncated, long.MinValue)).ToString(CultureInfo.InvariantCulture);
            return true;
        }
        return false;
    }

    /// <summary>
    /// Kamailio's <c>d</c>: the number truncated toward zero; strings, null and false read as 0,
    /// true as 1; never fails while a parameter is present. Widened to 64 bits (Kamailio 5.6 keeps 32);
    /// a number outside the 64-bit range gives false in <paramref name="inRange"/>.
    /// </summary>
    public bool KamInt(int index, out long value, out bool inRange) => KamInt(index, false, out value, out inRange);

    /// <summary>
    /// Kamailio's <c>d</c>, or <c>.d</c> with <paramref name="autoConvert"/>; the flag only matters
    /// for <see cref="Ctl"/> parameters (jsonrpcs reads both alike).
    /// </summary>
    public bool KamInt(int index, bool autoConvert, out long value, out bool inRange)
    {
        value = 0;
        inRange = true;
        if (index >= Count)
            return false;
        var e = _items[index];
        if (Ctl)
            return CtlInt(e, autoConvert, out value);
        switch (e.ValueKind)
        {
            case JsonValueKind.Number:
                if (e.TryGetInt64(out var l))
                {
                    value = l;
                    return true;
                }
                var d = Math.Truncate(e.GetDouble());
                if (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
                    value = (long)d;
                else
                    inRange = false;
                return true;
            case JsonValueKind.True:
                value = 1;
                return true;
            default:
                return true;
        }
    }

    // ctl's binrpc_val_conv_int: an int as is; with auto-convert a double truncated and a string
    // through str2sint (an optional sign and digits, nothing else).
    private static bool CtlInt(JsonElement e, bool autoConvert, out long value)
    {
        value = 0;
        switch (e.ValueKind)
        {
            case JsonValueKind.Number when !IsCtlDouble(e):
                return e.TryGetInt64(out value);
            case JsonValueKind.Number when autoConvert:
                value = (long)Math.Truncate(Math.Clamp(e.GetDouble(), int.MinValue, int.MaxValue));
                return true;
            case JsonValueKind.String when autoConvert:
                var text = e.GetString()!;
                var digits = text.StartsWith('-') || text.StartsWith('+') ? text[1..] : text;
                if (digits.Length == 0 || !digits.All(char.IsAsciiDigit)
                    || !long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
                    return false;
                value = unchecked((int)value);
                return true;
            default:
                return false;
        }
    }

    private static bool IsCtlDouble(JsonElement e) => e.GetRawText().AsSpan().IndexOfAny('.', 'e', 'E') >= 0;

    /// <summary>A required JSON string; otherwise an error naming the parameter.</summary>
    public bool StrictString(int index, string name, out string value, out RpcError? error)
    {
        value = "";
        error = null;
        if (index >= Count)
        {
            error = Errors.MissingParam(name, index);
            return false;
        }
        if (_items[index].ValueKind != JsonValueKind.String)
        {
            error = Errors.WrongType(name, index, "a string", _items[index]);
            return false;
        }
        value = _items[index].GetString()!;
        return true;
    }

    /// <summary>An optional JSON integer (64-bit); <paramref name="value"/> keeps its default when absent.</summary>
    public bool StrictOptionalLong(int index, string name, ref long value, out RpcError? error)
    {
        error = null;
        if (index >= Count)
            return true;
        var e = _items[index];
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var l))
        {
            error = e.ValueKind == JsonValueKind.Number
                ? new RpcError(Errors.InvalidParams, $"parameter {index + 1} ({name}) must be an integer in the 64-bit range, got {e.GetRawText()}")
                : Errors.WrongType(name, index, "an integer", e);
            return false;
        }
        value = l;
        return true;
    }

    /// <summary>The error for a key longer than <c>Rpc:MaxKeyBytes</c> in UTF-8, or null when it fits.</summary>
    public static RpcError? KeyTooLong(string key, int maxKeyBytes)
    {
        var n = System.Text.Encoding.UTF8.GetByteCount(key);
        return n > maxKeyBytes
            ? new RpcError(Errors.InvalidParams, $"key is {n} bytes, the limit is {maxKeyBytes} (Rpc:MaxKeyBytes)")
            : null;
    }

    /// <summary>Error texts of the strict accessors.</summary>
    public static class Errors
    {
        /// <summary>JSON-RPC 2.0 invalid params.</summary>
        public const int InvalidParams = -32602;

        /// <summary>A parameter is missing.</summary>
        public static RpcError MissingParam(string name, int index) =>
            new(InvalidParams, $"missing parameter {index + 1} ({name})");

        /// <summary>A parameter has the wrong JSON type.</summary>
        public static RpcError WrongType(string name, int index, string expected, JsonElement got) =>
            new(InvalidParams, $"parameter {index + 1} ({name}) must be {expected}, got {Describe(got)}");

        private static string Describe(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            JsonValueKind.Null => "null",
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            _ => "nothing",
        };
    }
}
