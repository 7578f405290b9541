namespace HTableCluster.Node.Tables;

/// <summary>The event routes a <see cref="TableEvent"/> stands for.</summary>
public enum TableEventKind
{
    /// <summary><c>htable:expired:&lt;table&gt;</c>: an item expired (key, value, type).</summary>
    Expired = 1,

    /// <summary><c>htable:reloaded:&lt;table&gt;</c>: the table's contents were reloaded from its database.</summary>
    Reloaded = 2,

    /// <summary><c>htable:mod-init</c>: every table is started (after the preload).</summary>
    ModInit = 3,
}
