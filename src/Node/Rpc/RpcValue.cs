using System.Text.Json;

namespace HTableCluster.Node.Rpc;

/// <summary>
/// An ordered JSON object for RPC results (member order is part of Kamailio's reply format).
/// </summary>
public sealed class RpcObject : List<KeyValuePair<string, object?>>
{
    /// <summary>Adds a member; returns this for chaining.</summary>
    public RpcObject With(string name, object? value)
    {
        Add(new(name, value));
        return this;
    }
}

/// <summary>A JSON-RPC error (code and message as sent).</summary>
public sealed record RpcError(int Code, string Message);

/// <summary>Writes result trees: string, integers, bool, null, <see cref="RpcObject"/>, lists.</summary>
public static class RpcJson
{
    /// <summary>
    /// Reads a JSON string. False when it is not a string, or when it holds an escape that is not
    /// valid Unicode (a lone surrogate such as <c>"\ud800"</c>), which System.Text.Json refuses to
    /// transcode.
    /// </summary>
    public static bool TryGetString(JsonElement element, out string value)
    {
        value = "";
        if (element.ValueKind != JsonValueKind.String)
            return false;
        try
        {
            value = element.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>True when <paramref name="ex"/> is System.Text.Json refusing to transcode a string.</summary>
    public static bool IsInvalidText(InvalidOperationException ex) =>
        ex?.TargetSite?.DeclaringType?.Assembly == typeof(JsonElement).Assembly;

    /// <summary>Serializes one value.</summary>
    public static void Write(Utf8JsonWriter writer, object? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case long l: writer.WriteNumberValue(l); break;
            case int i: writer.WriteNumberValue(i); break;
            case ulong u: writer.WriteNumberValue(u); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case RpcObject o:
                writer.WriteStartObject();
                foreach (var (k, v) in o)
                {
                    writer.WritePropertyName(k);
                    Write(writer, v);
                }
                writer.WriteEndObject();
                break;
            case JsonElement e: e.WriteTo(writer); break;
            case System.Collections.IEnumerable list:
                writer.WriteStartArray();
                foreach (var v in list)
                    Write(writer, v);
                writer.WriteEndArray();
                break;
            default:
                throw new InvalidOperationException($"cannot serialize {value.GetType().Name}");
        }
    }
}
