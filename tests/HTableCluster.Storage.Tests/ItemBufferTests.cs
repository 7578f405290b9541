namespace HTableCluster.Storage.Tests;

public class ItemBufferTests
{
    private readonly ManualTime _time = new();

    [Fact]
    public void Reads_version_and_kind_of_stored_items()
    {
        var t = TestTables.CreateReplicated("t=>", _time);
        var set = t.Set("s", "v");
        t.Add("c", 1);
        var changes = t.TakeChanges().Items;
        var counter = changes.Single(i => ItemBuffer.IsCounter(i));

        Assert.All(changes, i => Assert.True(ItemBuffer.IsWellFormed(i)));
        Assert.Equal(set.Version, ItemBuffer.VersionOf(set.Buffer));
        Assert.False(ItemBuffer.IsCounter(set.Buffer));
        Assert.True(new Entry(counter).IsCounter);
    }

    [Fact]
    public void Refuses_buffers_that_are_not_items()
    {
        var good = Entry.CreateString("k"u8, "v"u8, 0, 1, 0).Buffer;
        Assert.True(ItemBuffer.IsWellFormed(good));
        Assert.False(ItemBuffer.IsWellFormed([]));
        Assert.False(ItemBuffer.IsWellFormed(good.AsSpan(0, ItemBuffer.HeaderSize)));

        var tombstone = Entry.CreateTombstone("k"u8, 1, 0, 0).Buffer;
        Assert.True(ItemBuffer.IsWellFormed(tombstone));
        Assert.False(ItemBuffer.IsWellFormed([.. tombstone, 0]));
    }

    [Fact]
    public void Key_length_uses_all_three_bytes()
    {
        var key = new byte[70_000];
        Array.Fill(key, (byte)'k');
        var buf = Entry.CreateString(key, "v"u8, 0, 1, 0).Buffer;

        Assert.Equal(70_000, ItemBuffer.KeyLengthOf(buf));
        Assert.True(ItemBuffer.KeyOf(buf).SequenceEqual(key));
        Assert.Equal("v", new Entry(buf).StringValue);
    }

    [Fact]
    public void Old_forwarders_agree()
    {
        var buf = Entry.CreateInteger("n"u8, 3, 0, 77, 0).Buffer;
        Assert.Equal(ItemBuffer.VersionOf(buf), ItemBuffer.VersionOf(buf));
        Assert.Equal(ItemBuffer.IsCounter(buf), ItemBuffer.IsCounter(buf));
        Assert.Equal(ItemBuffer.IsWellFormed(buf), ItemBuffer.IsWellFormed(buf));
        Assert.False(ItemBuffer.IsWellFormed(new byte[10]));
    }
}
