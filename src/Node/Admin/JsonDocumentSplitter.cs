namespace HTableCluster.Node.Admin;

/// <summary>
/// Cuts a byte stream into JSON documents as jsonrpcs reads its FIFO: a document runs from its first
/// <c>{</c> to the brace that closes it, braces inside double- or single-quoted strings (an unescaped
/// quote ends them) not counted. A document longer than the limit (jsonrpcs: 8192 bytes) is skipped
/// to its end and reported, so a runaway writer costs no more memory than the limit.
/// </summary>
public sealed class JsonDocumentSplitter(int maxBytes)
{
    private readonly List<byte> _document = [];
    private int _depth;
    private byte _quote;
    private bool _escaped;
    private bool _oversized;

    /// <summary>Feeds bytes; calls <paramref name="document"/> for each complete document and <paramref name="skipped"/> for each one that was too long.</summary>
    public void Feed(ReadOnlySpan<byte> bytes, Action<byte[]> document, Action skipped)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(skipped);
        foreach (var b in bytes)
        {
            if (_depth == 0 && b != (byte)'{')
                continue; // between documents: newlines and stray bytes
            if (!_oversized)
            {
                if (_document.Count >= maxBytes)
                {
                    _oversized = true;
                    _document.Clear();
                }
                else
                {
                    _document.Add(b);
                }
            }
            if (_quote != 0)
            {
                if (b == _quote && !_escaped)
                    _quote = 0;
                _escaped = b == (byte)'\\' && !_escaped;
                continue;
            }
            switch (b)
            {
                case (byte)'"' or (byte)'\'': _quote = b; _escaped = false; break;
                case (byte)'{': _depth++; break;
                case (byte)'}': _depth--; break;
            }
            if (_depth == 0)
            {
                if (_oversized)
                    skipped();
                else
                    document([.. _document]);
                _document.Clear();
                _oversized = false;
            }
        }
    }
}
