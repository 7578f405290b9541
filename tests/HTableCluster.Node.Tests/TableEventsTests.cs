using HTableCluster.Node.Tables;
using HTableCluster.Replication;
using Microsoft.Extensions.Logging.Abstractions;

namespace HTableCluster.Node.Tests;

/// <summary>Delivery of events to local readers: sequence numbers, the resume ring, bounded queues.</summary>
public sealed class TableEventsTests
{
    private static EventProtocol.Fired Expired(int i) =>
        new(EventProtocol.EventKind.Expired, "t", "k" + i, false, 0, "v", i + 1, "n2", 1_764_806_400_000);

    [Fact]
    public void Delivered_events_are_numbered_from_the_first_sequence_and_keep_their_identity()
    {
        var events = new TableEvents(NullLogger<TableEvents>.Instance, firstSequence: 1);
        var seen = new List<TableEvent>();
        events.Raised += seen.Add;
        events.Deliver(Expired(0));
        events.Deliver(Expired(1));
        Assert.Equal([1L, 2L], seen.Select(e => e.Sequence));
        Assert.Equal(("t", "k1", 2L, "n2"), (seen[1].Table, seen[1].Key, seen[1].Version, seen[1].OriginNode));
        Assert.Equal(3, events.NextSequence);
    }

    [Fact]
    public async Task A_reader_resuming_inside_the_ring_gets_exactly_the_later_events()
    {
        var events = new TableEvents(NullLogger<TableEvents>.Instance, firstSequence: 1);
        for (var i = 0; i < 10; i++)
            events.Deliver(Expired(i));
        var (reader, dispose) = events.Subscribe(after: 7, out var gap);
        events.Deliver(Expired(10));
        dispose();
        Assert.False(gap);
        var got = new List<long>();
        await foreach (var e in reader.ReadAllAsync())
            got.Add(e.Sequence);
        Assert.Equal([8L, 9L, 10L, 11L], got);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(50_000L)]
    public void A_number_the_ring_no_longer_holds_or_from_an_earlier_run_is_a_gap_and_the_whole_ring_follows(long after)
    {
        var events = new TableEvents(NullLogger<TableEvents>.Instance, firstSequence: 1);
        for (var i = 0; i < TableEvents.RingLength + 5; i++)
            events.Deliver(Expired(i));
        var (reader, dispose) = events.Subscribe(after, out var gap);
        dispose();
        Assert.True(gap);
        Assert.Equal(TableEvents.RingLength, reader.Count);
        Assert.True(reader.TryRead(out var oldest));
        Assert.Equal(6, oldest.Sequence);
    }

    [Fact]
    public void A_run_numbers_its_events_from_its_start_time_so_an_id_from_an_earlier_run_is_a_gap()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var started = new TableEvents(NullLogger<TableEvents>.Instance);
        Assert.InRange(started.FirstSequence, before, (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000) + 1);

        // The earlier run delivered more events than the later one holds: with numbers from 1 the
        // client's id would land inside the later run's ring and resume at the wrong place.
        var earlier = new TableEvents(NullLogger<TableEvents>.Instance, firstSequence: 1_000_000_000);
        for (var i = 0; i < 50; i++)
            earlier.Deliver(Expired(i));
        var kept = earlier.NextSequence - 1;
        var later = new TableEvents(NullLogger<TableEvents>.Instance, firstSequence: 1_000_060_000);
        for (var i = 0; i < 10; i++)
            later.Deliver(Expired(i));
        var (reader, dispose) = later.Subscribe(kept, out var gap);
        dispose();
        Assert.True(gap);
        Assert.Equal(10, reader.Count);
        Assert.Equal(1_000_060_000, later.OldestSequence);
    }

    [Fact]
    public async Task A_reader_that_never_reads_is_ended_with_a_bounded_queue_and_never_blocks_delivery()
    {
        var events = new TableEvents(NullLogger<TableEvents>.Instance, firstSequence: 1);
        var (reader, dispose) = events.Subscribe(after: null, out _);
        var total = TableEvents.ReaderQueueLength + TableEvents.RingLength + 1_000;
        for (var i = 0; i < total; i++)
            events.Deliver(Expired(i));
        Assert.Equal(total + 1, events.NextSequence);
        Assert.True(reader.Count <= TableEvents.ReaderQueueLength + TableEvents.RingLength);
        var ex = await Assert.ThrowsAnyAsync<InvalidOperationException>(async () =>
        {
            await foreach (var e in reader.ReadAllAsync())
            {
                // drains what was queued, then the reader learns it fell behind
            }
        });
        Assert.Contains("fell more than", ex.Message, StringComparison.Ordinal);
        dispose();
    }
}
