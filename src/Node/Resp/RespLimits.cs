namespace HTableCluster.Node.Resp;

/// <summary>Limits of what one client may send (the <c>Resp</c> options).</summary>
/// <param name="MaxBulkBytes">Longest bulk string (Redis's proto-max-bulk-len).</param>
/// <param name="MaxArgs">Most words in one command.</param>
/// <param name="MaxInlineBytes">Longest inline command line (and number line).</param>
public sealed record RespLimits(long MaxBulkBytes = 64L << 20, int MaxArgs = 1 << 20, int MaxInlineBytes = 64 * 1024);
