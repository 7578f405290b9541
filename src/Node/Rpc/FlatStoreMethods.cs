using System.Text.Json;
using HTableCluster.Node.Accounting;
using HTableCluster.Node.Configuration;

namespace HTableCluster.Node.Rpc;

/// <summary>
/// The accounting methods: <c>flatstore.insert TABLE [VALUE...]</c> appends one record,
/// <c>flatstore.insert_batch TABLE [[VALUE...]...]</c> appends many as one block (written and
/// acknowledged together), and Kamailio's rotate commands (<c>flatstore.k_rotate</c>,
/// <c>flatstore.rotate</c>, <c>flat_rotate</c>) close the files so that the next record opens them
/// again. A value is a JSON string, a number (written as given) or null (an empty field). A reply
/// comes once the records are written as FlatStore:Flush says; a failed write is answered with an
/// error, never acknowledged.
/// </summary>
public sealed class FlatStoreMethods(FlatStoreClient flatStore, NodeSettings settings)
{
    private const int Fault = 500;
    private const int Invalid = RpcParams.Errors.InvalidParams;
    private readonly int _maxValueBytes = settings.Rpc.MaxValueBytes;

    /// <summary>The methods.</summary>
    public IEnumerable<RpcMethod> Methods()
    {
        // Grouped in a JSON-RPC batch: the inserts of one batch share the file's writes.
        yield return new("flatstore.insert", "Append one accounting record to a flatstore table: TABLE [VALUE...].", true, Insert);
        yield return new("flatstore.insert_batch", "Append accounting records to a flatstore table in one write: TABLE [[VALUE...]...].", true, InsertBatch);
        // Kamailio 5.6.3's help text (sic) and reply (an empty object; parameters are ignored).
        yield return new("flatstore.k_rotate", "Close and reopen flatrotate files during log rotation.", false, Rotate);
        yield return new("flatstore.rotate", "Close and reopen flatrotate files during log rotation.", false, Rotate);
        yield return new("flat_rotate", "Close and reopen flatrotate files during log rotation.", false, Rotate);
    }

    private ValueTask<RpcReply> Insert(RpcParams p, WriteSink sink)
    {
        if (!p.StrictString(0, "table", out var table, out var err))
            return RpcReply.Fail(err!).AsTask();
        var fields = new string?[p.Count - 1];
        for (var i = 1; i < p.Count; i++)
        {
            if (Field(p[i], i, "value") is { } bad)
                return RpcReply.Fail(bad).AsTask();
            fields[i - 1] = FieldText(p[i]);
        }
        return WrittenAsync(flatStore.InsertAsync(table, fields), 1);
    }

    private ValueTask<RpcReply> InsertBatch(RpcParams p, WriteSink sink)
    {
        if (!p.StrictString(0, "table", out var table, out var err))
            return RpcReply.Fail(err!).AsTask();
        if (p.Count < 2)
            return RpcReply.Fail(RpcParams.Errors.MissingParam("rows", 1)).AsTask();
        var rowsParam = p[1];
        if (rowsParam.ValueKind != JsonValueKind.Array)
            return RpcReply.Fail(RpcParams.Errors.WrongType("rows", 1, "an array of arrays", rowsParam)).AsTask();
        if (p.Count > 2)
            return RpcReply.Fail(Invalid, $"expected 2 parameters (table, rows), got {p.Count}").AsTask();
        var rows = new List<IReadOnlyList<string?>>(rowsParam.GetArrayLength());
        var r = 0;
        foreach (var row in rowsParam.EnumerateArray())
        {
            r++;
            if (row.ValueKind != JsonValueKind.Array)
                return RpcReply.Fail(Invalid, $"row {r} of parameter 2 (rows) must be an array of values").AsTask();
            var fields = new string?[row.GetArrayLength()];
            var f = 0;
            foreach (var value in row.EnumerateArray())
            {
                if (Field(value, 1, $"rows, row {r} value {f + 1}") is { } bad)
                    return RpcReply.Fail(bad).AsTask();
                fields[f++] = FieldText(value);
            }
            rows.Add(fields);
        }
        return WrittenAsync(flatStore.InsertManyAsync(table, rows), rows.Count);
    }

    private async ValueTask<RpcReply> Rotate(RpcParams p, WriteSink sink)
    {
        await flatStore.RotateAsync().ConfigureAwait(false);
        return RpcReply.Ok(new RpcObject());
    }

    private RpcError? Field(JsonElement value, int index, string name)
    {
        if (value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
            return RpcParams.Errors.WrongType(name, index, "a string, a number or null", value);
        if (value.ValueKind == JsonValueKind.String && value.GetString()!.Length > _maxValueBytes
            && System.Text.Encoding.UTF8.GetByteCount(value.GetString()!) > _maxValueBytes)
            return new RpcError(Invalid, $"parameter {index + 1} ({name}) is longer than {_maxValueBytes} bytes (Rpc:MaxValueBytes)");
        return null;
    }

    private static string? FieldText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        _ => null,
    };

    private static async ValueTask<RpcReply> WrittenAsync(Task written, int count)
    {
        try
        {
            await written.ConfigureAwait(false);
            return RpcReply.Ok(count);
        }
        catch (InvalidOperationException ex) when (ex is not ObjectDisposedException)
        {
            return RpcReply.Fail(Fault, "flatstore is not enabled: " + ex.Message);
        }
        catch (ArgumentException ex)
        {
            return RpcReply.Fail(Invalid, "flatstore table refused: " + ex.Message.Replace(" (Parameter 'table')", "", StringComparison.Ordinal));
        }
        catch (ObjectDisposedException)
        {
            return RpcReply.Fail(Fault, "the node is stopping; the records were not written");
        }
        catch (IOException ex)
        {
            return RpcReply.Fail(Fault, "flatstore write failed, the records were not written: " + ex.Message);
        }
    }
}
