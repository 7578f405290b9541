using HTableCluster.Node.Admin;
using HTableCluster.Node.Rpc;

namespace HTableCluster.Node.Tests.Admin;

/// <summary>The encodings of Kamailio's binrpc.h (its own examples) and the decoder's refusals.</summary>
public sealed class BinRpcCodecTests
{
    private static byte[] Body(Action<BinRpcEncoder> write)
    {
        var encoder = new BinRpcEncoder();
        write(encoder);
        var packet = encoder.Finish(BinRpcPacketType.Reply, 1).ToArray();
        Assert.Equal(BinRpcHeaderStatus.Done, BinRpcDecoder.TryReadHeader(packet, out var header, out _));
        return packet[header.HeaderLength..];
    }

    [Theory]
    [InlineData(0x1234, new byte[] { 0x20, 0x12, 0x34 })]
    [InlineData(7, new byte[] { 0x10, 0x07 })]
    [InlineData(0, new byte[] { 0x00 })]
    [InlineData(-1, new byte[] { 0x40, 0xff, 0xff, 0xff, 0xff })]
    public void Integers_take_their_minimal_length(int value, byte[] expected) =>
        Assert.Equal(expected, Body(e => e.Int(value)));

    [Fact]
    public void Strings_count_their_terminating_zero()
    {
        Assert.Equal([0x71, .. "abcdef"u8, 0x00], Body(e => e.Str("abcdef")));
        Assert.Equal([0x91, 0x0A, .. "abcdefhij"u8, 0x00], Body(e => e.Str("abcdefhij")));
        Assert.Equal([0x11, 0x00], Body(e => e.Str("")));
        Assert.Equal([0x66, .. "abcdef"u8], Body(e => e.Bytes("abcdef"u8)));
    }

    [Fact]
    public void A_struct_is_a_list_of_named_members()
    {
        byte[] expected = [0x03, 0x75, .. "intval"u8, 0x00, 0x10, 0x03, 0x25, (byte)'s', 0x00, 0x41, .. "abc"u8, 0x00, 0x83];
        Assert.Equal(expected, Body(e => BinRpcProcessor.WriteResult(e, new RpcObject().With("intval", 3L).With("s", "abc"))));
    }

    [Fact]
    public void Arrays_are_written_as_ctl_writes_them_and_top_level_lists_as_records()
    {
        // A list at the top: one record per item; a list inside: a struct of unnamed members.
        var body = Body(e => BinRpcProcessor.WriteResult(e, new List<object?> { "x", new RpcObject().With("l", new List<object?> { 1L, "y" }) }));
        byte[] expected = [0x21, (byte)'x', 0x00, 0x03, 0x25, (byte)'l', 0x00, 0x03, 0x10, 0x01, 0x21, (byte)'y', 0x00, 0x83, 0x83];
        Assert.Equal(expected, body);
        // Beyond 32 bits a number is its text.
        Assert.Equal([0x91, 0x0B, .. "3000000000"u8, 0x00], Body(e => BinRpcProcessor.WriteResult(e, 3_000_000_000L)));
    }

    [Fact]
    public void The_header_carries_type_length_and_cookie_in_minimal_bytes()
    {
        var encoder = new BinRpcEncoder();
        encoder.Str("abc");
        var packet = encoder.Finish(BinRpcPacketType.Request, 0x1234).ToArray();
        Assert.Equal([0xA1, 0x01, 0x05, 0x12, 0x34, 0x41, .. "abc"u8, 0x00], packet);
        Assert.Equal(BinRpcHeaderStatus.Done, BinRpcDecoder.TryReadHeader(packet, out var header, out _));
        Assert.Equal(new BinRpcHeader(BinRpcPacketType.Request, 5, 0x1234, 5), header);
        Assert.Equal(BinRpcHeaderStatus.NeedMore, BinRpcDecoder.TryReadHeader(packet.AsSpan(0, 3), out _, out _));
    }

    [Fact]
    public void Values_round_trip()
    {
        var value = BinRpcValue.OfList(BinRpcType.Struct,
        [
            BinRpcValue.OfInt(-5, "i"),
            BinRpcValue.OfDouble(2.5, "d"),
            BinRpcValue.OfStr("é😀", "s"),
            BinRpcValue.OfList(BinRpcType.Array, [BinRpcValue.OfInt(1), BinRpcValue.OfBytes([0, 1, 2])], "a"),
        ]);
        var body = Body(e => e.Value(value));
        var records = new List<BinRpcValue>();
        Assert.True(BinRpcDecoder.TryReadRecords(body, 16, records, out var error), error);
        Assert.Equal(value.ToString(), Assert.Single(records).ToString());
    }

    [Fact]
    public void A_fault_message_is_cut_to_255_bytes_on_a_character_boundary()
    {
        var body = Body(e => e.Fault(500, new string('é', 200)));
        var records = new List<BinRpcValue>();
        Assert.True(BinRpcDecoder.TryReadRecords(body, 4, records, out _));
        Assert.Equal(500, records[0].Int);
        Assert.Equal(new string('é', 127), records[1].Str);
    }

    [Theory]
    [InlineData(new byte[] { 0x47, 0x45, 0x54 }, "not a BINRPC packet")]
    [InlineData(new byte[] { 0xA2, 0x00, 0x00, 0x00 }, "unsupported BINRPC version 2")]
    [InlineData(new byte[] { 0xA1, 0x20, 0x00, 0x00 }, "unknown BINRPC packet type 2")]
    public void Foreign_headers_are_refused(byte[] bytes, string reason)
    {
        Assert.Equal(BinRpcHeaderStatus.Invalid, BinRpcDecoder.TryReadHeader(bytes, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x71, 0x61 }, "longer")]
    [InlineData(new byte[] { 0x03, 0x10, 0x01 }, "truncated")]
    [InlineData(new byte[] { 0x83 }, "unexpected end")]
    [InlineData(new byte[] { 0x03, 0x84 }, "end of array inside a struct")]
    [InlineData(new byte[] { 0x25, 0x61, 0x00, 0x10, 0x01 }, "outside a struct")]
    [InlineData(new byte[] { 0x31, 0xff, 0xfe, 0x00 }, "not valid UTF-8")]
    [InlineData(new byte[] { 0x97, 0x00 }, "unknown record type 7")]
    [InlineData(new byte[] { 0xF1, 0x00 }, "bad record length")]
    public void Malformed_records_are_refused(byte[] body, string reason)
    {
        Assert.False(BinRpcDecoder.TryReadRecords(body, 16, [], out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_is_bounded()
    {
        var deep = Enumerable.Repeat((byte)0x04, 17).Concat(Enumerable.Repeat((byte)0x84, 17)).ToArray();
        Assert.False(BinRpcDecoder.TryReadRecords(deep, 16, [], out var error));
        Assert.Contains("nesting deeper than 16", error, StringComparison.Ordinal);
        Assert.True(BinRpcDecoder.TryReadRecords(deep[1..^1], 16, [], out _));
    }

    [Theory]
    [InlineData("unix:/run/x/ctl", "/run/x/ctl", null)]
    [InlineData("/run/x/ctl", "/run/x/ctl", null)]
    [InlineData("tcp:127.0.0.1:2049", null, "127.0.0.1:2049")]
    [InlineData("tcp:2049", null, "127.0.0.1:2049")]
    [InlineData("tcp:*:2049", null, "0.0.0.0:2049")]
    [InlineData("tcp:[::1]:2049", null, "[::1]:2049")]
    public void Addresses_take_ctl_forms(string text, string? path, string? tcp)
    {
        var a = BinRpcAddress.Parse(text);
        Assert.Equal(path, a.Path);
        Assert.Equal(tcp, a.Tcp?.ToString());
    }

    [Theory]
    [InlineData("udp:127.0.0.1:2049", "not served")]
    [InlineData("unix:relative", "absolute path")]
    [InlineData("tcp:host.example:2049", "not an IP address")]
    [InlineData("tcp:127.0.0.1:99999", "bad port")]
    public void Other_addresses_are_refused(string text, string reason) =>
        Assert.Contains(reason, Assert.Throws<FormatException>(() => BinRpcAddress.Parse(text)).Message, StringComparison.Ordinal);
}
