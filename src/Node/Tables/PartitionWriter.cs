using HTableCluster.Storage;
using static HTableCluster.Node.Tables.TableProtocol;

namespace HTableCluster.Node.Tables;

/// <summary>Applies a list of <see cref="WriteOp"/>s to a partition (called by its owner only).</summary>
internal static class PartitionWriter
{
    public static WriteResult[] Apply(TablePartition partition, IReadOnlyList<WriteOp> ops)
    {
        var results = new WriteResult[ops.Count];
        for (var i = 0; i < ops.Count; i++)
            results[i] = ApplyOne(partition, ops[i]);
        return results;
    }

    public static WriteResult ApplyOne(TablePartition p, WriteOp op)
    {
        switch (op.Kind)
        {
            case WriteKind.SetString:
                return new(WriteStatus.Applied, op.Rule.Kind == ItemExpiryKind.TableRule ? p.SetString(op.Key, op.Value, op.Expire) : p.SetString(op.Key, op.Value, op.Rule));
            case WriteKind.SetInteger:
                return new(WriteStatus.Applied, op.Rule.Kind == ItemExpiryKind.TableRule ? p.SetInteger(op.Key, op.Number, op.Expire) : p.SetInteger(op.Key, op.Number, op.Rule));
            case WriteKind.SetExpire:
                return new(p.SetExpire(op.Key, op.Number) ? WriteStatus.Applied : WriteStatus.NotFound);
            case WriteKind.Delete:
                var removed = p.Delete(op.Key);
                return new(removed is null ? WriteStatus.NotFound : WriteStatus.Applied, removed);
            case WriteKind.Add:
                var (status, value) = p.Add(op.Key, op.Number, op.Rule);
                return status switch
                {
                    AddStatus.Applied => new(WriteStatus.Applied, null, value),
                    AddStatus.NotInteger => new(WriteStatus.NotInteger),
                    _ => new(WriteStatus.Overflow, null, value),
                };
            case WriteKind.RemoveByName:
            case WriteKind.RemoveByValue:
                var gone = p.RemoveWhere(op.Matcher!, op.Kind == WriteKind.RemoveByValue);
                return new(WriteStatus.Applied, null, 0, gone.Count);
            case WriteKind.Reset:
                return new(WriteStatus.Applied, null, 0, p.Reset(op.Number == 0 ? null : op.Number));
            default:
                throw new InvalidOperationException($"unknown write kind {op.Kind}");
        }
    }
}
