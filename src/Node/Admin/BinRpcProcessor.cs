using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using HTableCluster.Node.Rpc;

namespace HTableCluster.Node.Admin;

/// <summary>
/// Answers one BINRPC request packet through the <see cref="RpcDispatcher"/>, so every JSON-RPC
/// method answers the same over BINRPC. Parameters become the JSON values the methods read (int and
/// double a number, string a string, struct an object, array an array). Results are written as ctl's
/// <c>rpc_add</c>/<c>rpc_struct_add</c>/<c>rpc_array_add</c> write them: an object is a struct of
/// named members; a list at the top is one record per item (a method that adds several values, or
/// one marked <c>RET_ARRAY</c>), a list inside is a struct of unnamed members (ctl's <c>[</c> is a
/// struct); a number in the 32-bit range an int, beyond it its decimal string (BINRPC ints are 32
/// bits; kamcmd prints both the same); a string, or a text line as <c>rpc_rpl_printf</c> adds it, a
/// string; null ctl's <c>&lt;null string&gt;</c>. An error is a fault with its code and message.
/// </summary>
public sealed class BinRpcProcessor(RpcDispatcher dispatcher, int maxReplyBytes, int maxDepth = BinRpcProcessor.MaxNesting)
{
    /// <summary>Deepest nesting of structs and arrays accepted in a request.</summary>
    public const int MaxNesting = 16;

    private const string NullString = "<null string>";

    /// <summary>
    /// Processes a request body and leaves the reply in <paramref name="encoder"/>. Returns false
    /// when the packet broke the protocol: the reply is then a fault and the connection must close.
    /// </summary>
    public async ValueTask<bool> ProcessAsync(BinRpcHeader header, ReadOnlyMemory<byte> body, BinRpcEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        encoder.Reset();
        if (header.Type != BinRpcPacketType.Request)
        {
            encoder.Fault(400, "bad request: corrupted packet (not a request)");
            return false;
        }
        var records = new List<BinRpcValue>();
        if (!BinRpcDecoder.TryReadRecords(body.Span, maxDepth, records, out var error))
        {
            encoder.Fault(400, "bad request: " + error);
            return false;
        }
        if (records.Count == 0 || records[0] is not { Type: BinRpcType.Str } methodRecord)
        {
            encoder.Fault(400, "bad request method: record doesn't match type");
            return false;
        }
        var method = methodRecord.Str;
        if (!dispatcher.HasMethod(method))
        {
            encoder.Fault(500, $"command {method} not found");
            return true;
        }
        RpcReply reply;
        using (var parameters = Parameters(records))
            reply = await dispatcher.CallAsync(method, new RpcParams(parameters.Elements) { Ctl = true }).ConfigureAwait(false);
        if (reply.Error is { } fault)
        {
            encoder.Fault(fault.Code, fault.Message);
            return true;
        }
        WriteResult(encoder, reply.Result);
        if (encoder.BodyLength > maxReplyBytes)
        {
            var size = encoder.BodyLength;
            encoder.Reset();
            encoder.Fault(500, string.Create(CultureInfo.InvariantCulture,
                $"reply of {size} bytes is larger than {maxReplyBytes} (Admin:BinRpcMaxReplyBytes); use htable.iterate or HTTP for large tables"));
        }
        return true;
    }

    /// <summary>Writes a result tree as ctl would (see the type's summary).</summary>
    public static void WriteResult(BinRpcEncoder encoder, object? result)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        switch (result)
        {
            case null:
                return;
            case JsonElement { ValueKind: JsonValueKind.Array } array:
                foreach (var item in array.EnumerateArray())
                    Write(encoder, item);
                return;
            case string or RpcObject or JsonElement:
                Write(encoder, result);
                return;
            case IEnumerable list:
                foreach (var item in list)
                    Write(encoder, item);
                return;
            default:
                Write(encoder, result);
                return;
        }
    }

    private static void Write(BinRpcEncoder encoder, object? value)
    {
        switch (value)
        {
            case null: encoder.Str(NullString); break;
            case string s: encoder.Str(s); break;
            case int i: encoder.Int(i); break;
            case long l: Integer(encoder, l); break;
            case ulong u when u <= int.MaxValue: encoder.Int((int)u); break;
            case ulong u: encoder.Str(u.ToString(CultureInfo.InvariantCulture)); break;
            case bool b: encoder.Int(b ? 1 : 0); break;
            case double d: encoder.Double(d); break;
            case RpcObject o:
                encoder.StartStruct();
                foreach (var (name, member) in o)
                {
                    encoder.MemberName(name);
                    Write(encoder, member);
                }
                encoder.EndStruct();
                break;
            case JsonElement e: Json(encoder, e); break;
            case IEnumerable list:
                encoder.StartStruct();
                foreach (var item in list)
                    Write(encoder, item);
                encoder.EndStruct();
                break;
            default:
                throw new InvalidOperationException($"cannot encode {value.GetType().Name} as BINRPC");
        }
    }

    private static void Integer(BinRpcEncoder encoder, long value)
    {
        if (value is >= int.MinValue and <= int.MaxValue)
            encoder.Int((int)value);
        else
            encoder.Str(value.ToString(CultureInfo.InvariantCulture));
    }

    private static void Json(BinRpcEncoder encoder, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String: encoder.Str(e.GetString()!); break;
            case JsonValueKind.Number:
                if (e.TryGetInt64(out var l))
                    Integer(encoder, l);
                else
                    encoder.Double(e.GetDouble());
                break;
            case JsonValueKind.True: encoder.Int(1); break;
            case JsonValueKind.False: encoder.Int(0); break;
            case JsonValueKind.Object:
                encoder.StartStruct();
                foreach (var p in e.EnumerateObject())
                {
                    encoder.MemberName(p.Name);
                    Json(encoder, p.Value);
                }
                encoder.EndStruct();
                break;
            case JsonValueKind.Array:
                encoder.StartStruct();
                foreach (var item in e.EnumerateArray())
                    Json(encoder, item);
                encoder.EndStruct();
                break;
            default: encoder.Str(NullString); break;
        }
    }

    // The parameters (every record after the method name) as JSON values.
    private static JsonParameters Parameters(List<BinRpcValue> records)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = 1; i < records.Count; i++)
                Json(writer, records[i]);
            writer.WriteEndArray();
        }
        var doc = JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = MaxNesting + 2 });
        return new JsonParameters(doc, [.. doc.RootElement.EnumerateArray()]);
    }

    private static void Json(Utf8JsonWriter writer, BinRpcValue value)
    {
        switch (value.Type)
        {
            case BinRpcType.Int: writer.WriteNumberValue(value.Int); break;
            // Always with a fraction or exponent, so RpcParams.Ctl tells a double from an int.
            case BinRpcType.Double: writer.WriteRawValue(Double(value.Double)); break;
            case BinRpcType.Str: writer.WriteStringValue(value.Str); break;
            case BinRpcType.Bytes: writer.WriteStringValue(Encoding.UTF8.GetString(value.Bytes)); break;
            case BinRpcType.Struct:
                writer.WriteStartObject();
                for (var i = 0; i < value.Items.Count; i++)
                {
                    var item = value.Items[i];
                    writer.WritePropertyName(item.Name ?? i.ToString(CultureInfo.InvariantCulture));
                    Json(writer, item);
                }
                writer.WriteEndObject();
                break;
            default:
                writer.WriteStartArray();
                foreach (var item in value.Items)
                    Json(writer, item);
                writer.WriteEndArray();
                break;
        }
    }

    private static string Double(double d)
    {
        var text = d.ToString("R", CultureInfo.InvariantCulture);
        return text.AsSpan().IndexOfAny('.', 'E') >= 0 ? text : text + ".0";
    }

    private readonly record struct JsonParameters(JsonDocument Document, JsonElement[] Elements) : IDisposable
    {
        public void Dispose() => Document.Dispose();
    }
}
