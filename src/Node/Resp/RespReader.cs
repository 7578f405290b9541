using System.Buffers;

namespace HTableCluster.Node.Resp;

/// <summary>What <see cref="RespReader.TryRead"/> found.</summary>
public enum RespReadStatus
{
    /// <summary>A whole command: its words are in the out argument.</summary>
    Command,

    /// <summary>More bytes are needed; what arrived so far is kept (consumed from the buffer or left in it).</summary>
    Incomplete,

    /// <summary>A protocol error (<see cref="RespReader.Error"/>): answer it and close the connection.</summary>
    Error,
}

/// <summary>
/// Reads client commands as Redis does: multibulk arrays of bulk strings (<c>*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n</c>)
/// and inline commands (a line of words split the way redis-cli and telnet users write them, with
/// <c>"..."</c> and <c>'...'</c> quoting). Incremental: <see cref="TryRead"/> takes whatever has arrived,
/// keeps a partial command in its state and resumes where it stopped. A bulk string is copied as its
/// bytes arrive, never allocated at the length its header claims. One reader per connection.
/// </summary>
public sealed class RespReader(RespLimits limits)
{
    // Redis's limits for a client that has not authenticated yet (networking.c).
    private const int UnauthenticatedMaxArgs = 10;
    private const int UnauthenticatedMaxBulk = 16384;

    // A bulk up to this size waits in the input buffer until it is whole; a larger one is copied as
    // it arrives (the transport stops reading when too much is left unconsumed in its buffer).
    private const int WaitWholeBulk = 16 * 1024;

    private readonly RespLimits _limits = limits ?? throw new ArgumentNullException(nameof(limits));

    // The multibulk in progress: words still to read (0: none), the words read so far.
    private int _remaining;
    private ReadOnlyMemory<byte>[] _args = [];
    private int _argCount;

    // The bulk in progress: its length (-1: its $ header is next), the bytes copied so far.
    private long _bulkLength = -1;
    private byte[]? _bulk;
    private int _bulkFilled;

    /// <summary>The protocol error of the last <see cref="RespReadStatus.Error"/> (Redis's text).</summary>
    public string Error { get; private set; } = "";

    /// <summary>
    /// Reads the next command from <paramref name="buffer"/>, moving its start past what was used.
    /// <paramref name="authRequired"/>: the client has not authenticated while a password is set
    /// (Redis then accepts at most 10 words and bulks of 16 KiB).
    /// </summary>
    public RespReadStatus TryRead(ref ReadOnlySequence<byte> buffer, bool authRequired, out ReadOnlyMemory<byte>[] command)
    {
        command = [];
        var reader = new SequenceReader<byte>(buffer);
        try
        {
            while (true)
            {
                if (_remaining == 0)
                {
                    if (!reader.TryPeek(out var first))
                        return RespReadStatus.Incomplete;
                    var status = first == (byte)'*'
                        ? ReadMultibulkHeader(ref reader, authRequired)
                        : ReadInline(ref reader, out command);
                    if (status != RespReadStatus.Command || command.Length > 0)
                        return status;
                    continue; // *0, *-1, an empty line: nothing to run.
                }
                var bulk = ReadBulk(ref reader, authRequired);
                if (bulk != RespReadStatus.Command)
                    return bulk;
                if (_remaining == 0)
                {
                    command = _args.Length == _argCount ? _args : _args[.._argCount];
                    _args = [];
                    _argCount = 0;
                    return RespReadStatus.Command;
                }
            }
        }
        finally
        {
            buffer = buffer.Slice(reader.Position);
        }
    }

    private RespReadStatus ReadMultibulkHeader(ref SequenceReader<byte> reader, bool authRequired)
    {
        if (!TryReadNumberLine(ref reader, out var count, out var ok))
            return reader.Remaining > _limits.MaxInlineBytes ? Fail("Protocol error: too big mbulk count string") : RespReadStatus.Incomplete;
        if (!ok || count > _limits.MaxArgs)
            return Fail("Protocol error: invalid multibulk length");
        if (count > UnauthenticatedMaxArgs && authRequired)
            return Fail("Protocol error: unauthenticated multibulk length");
        if (count <= 0)
            return RespReadStatus.Command;
        _remaining = (int)count;
        // The array grows with the words that arrive, not to the count the header claims.
        _args = new ReadOnlyMemory<byte>[Math.Min(_remaining, 64)];
        _argCount = 0;
        return RespReadStatus.Command;
    }

    private RespReadStatus ReadBulk(ref SequenceReader<byte> reader, bool authRequired)
    {
        if (_bulkLength < 0)
        {
            if (!reader.TryPeek(out var first))
                return RespReadStatus.Incomplete;
            if (first != (byte)'$')
                return Fail($"Protocol error: expected '$', got '{RespErrors.Printable([first])}'");
            if (!TryReadNumberLine(ref reader, out var length, out var ok))
                return reader.Remaining > _limits.MaxInlineBytes ? Fail("Protocol error: too big bulk count string") : RespReadStatus.Incomplete;
            if (!ok || length < 0 || length > _limits.MaxBulkBytes)
                return Fail("Protocol error: invalid bulk length");
            if (length > UnauthenticatedMaxBulk && authRequired)
                return Fail("Protocol error: unauthenticated bulk length");
            _bulkLength = length;
            _bulkFilled = 0;
            _bulk = null;
        }
        var size = (int)_bulkLength;
        byte[] bytes;
        if (_bulk is null && reader.Remaining >= size + 2)
        {
            bytes = size == 0 ? [] : new byte[size];
            reader.TryCopyTo(bytes);
            reader.Advance(size + 2); // Like Redis, the two bytes after the data are not checked.
        }
        else if (_bulk is null && size <= WaitWholeBulk)
        {
            return RespReadStatus.Incomplete;
        }
        else
        {
            // Copy what arrived; the array doubles as bytes come (at most the declared length).
            while (_bulkFilled < size && reader.Remaining > 0)
            {
                var room = _bulk?.Length ?? 0;
                if (_bulkFilled == room)
                {
                    var grown = new byte[(int)Math.Min(size, Math.Max(64 * 1024L, room * 2L))];
                    if (_bulk is not null)
                        _bulk.AsSpan(0, _bulkFilled).CopyTo(grown);
                    _bulk = grown;
                }
                var chunk = reader.UnreadSpan;
                var n = Math.Min(chunk.Length, _bulk!.Length - _bulkFilled);
                chunk[..n].CopyTo(_bulk.AsSpan(_bulkFilled));
                _bulkFilled += n;
                reader.Advance(n);
            }
            if (_bulkFilled < size || reader.Remaining < 2)
                return RespReadStatus.Incomplete;
            reader.Advance(2);
            bytes = _bulk ?? [];
            _bulk = null;
        }
        _bulkLength = -1;
        if (_argCount == _args.Length)
            Array.Resize(ref _args, Math.Min(_argCount + _remaining, Math.Max(64, _args.Length * 2)));
        _args[_argCount++] = bytes;
        _remaining--;
        return RespReadStatus.Command;
    }

    // Redis looks for the '\r' and skips it and the byte after it (which it expects to be '\n').
    private static bool TryReadNumberLine(ref SequenceReader<byte> reader, out long value, out bool ok)
    {
        value = 0;
        ok = false;
        var start = reader;
        if (!reader.TryAdvanceTo((byte)'\r', advancePastDelimiter: true) || reader.Remaining < 1)
        {
            reader = start;
            return false;
        }
        var line = start.Sequence.Slice(start.Position, reader.Position).Slice(1);
        reader.Advance(1);
        var length = (int)line.Length - 1; // without the '\r'
        if (length is > 0 and <= 20)
        {
            Span<byte> digits = stackalloc byte[length];
            line.Slice(0, length).CopyTo(digits);
            ok = RespNumbers.TryParseInt64(digits, out value);
        }
        return true;
    }

    private RespReadStatus ReadInline(ref SequenceReader<byte> reader, out ReadOnlyMemory<byte>[] command)
    {
        command = [];
        var start = reader;
        if (!reader.TryAdvanceTo((byte)'\n', advancePastDelimiter: true))
            return reader.Remaining > _limits.MaxInlineBytes ? Fail("Protocol error: too big inline request") : RespReadStatus.Incomplete;
        var line = start.Sequence.Slice(start.Position, reader.Position);
        var length = (int)Math.Min(line.Length - 1, int.MaxValue);
        if (length > _limits.MaxInlineBytes)
            return Fail("Protocol error: too big inline request");
        var bytes = length <= 512 ? stackalloc byte[length] : new byte[length];
        line.Slice(0, length).CopyTo(bytes);
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r')
            bytes = bytes[..^1];
        var words = RespInline.Split(bytes);
        if (words is null)
            return Fail("Protocol error: unbalanced quotes in request");
        command = words;
        return RespReadStatus.Command;
    }

    private RespReadStatus Fail(string error)
    {
        Error = "ERR " + error;
        return RespReadStatus.Error;
    }
}
