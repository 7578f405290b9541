namespace HTableCluster.Storage.Tests;

public class HybridClockTests
{
    private readonly ManualTime _time = new();
    private readonly HybridClock _clock;

    public HybridClockTests() => _clock = new HybridClock(_time);

    [Fact]
    public void Next_carries_wall_clock_milliseconds_in_the_high_bits()
    {
        Assert.Equal(_time.NowMs, _clock.Next() >> 16);
        Assert.Equal(_time.NowMs, _clock.NowMs);
        _time.AdvanceSeconds(1);
        Assert.Equal(_time.NowMs, _clock.Next() >> 16);
    }

    [Fact]
    public void Next_is_strictly_increasing_when_time_stalls()
    {
        var last = _clock.Next();
        for (var i = 0; i < 10_000; i++)
        {
            var v = _clock.Next();
            Assert.True(v > last);
            last = v;
        }
    }

    [Fact]
    public void Next_is_strictly_increasing_when_time_goes_backwards()
    {
        var before = _clock.Next();
        _time.Advance(TimeSpan.FromHours(-1));

        var a = _clock.Next();
        var b = _clock.Next();

        Assert.True(a > before);
        Assert.True(b > a);

        // Once the wall clock passes the old high-water mark, versions follow it again.
        _time.Advance(TimeSpan.FromHours(2));
        var c = _clock.Next();
        Assert.True(c > b);
        Assert.Equal(_time.NowMs, c >> 16);
    }

    [Fact]
    public void Observe_moves_past_a_remote_version()
    {
        var local = _clock.Next();
        var remote = (_time.NowMs + 60_000) << 16;

        _clock.Observe(remote);

        var next = _clock.Next();
        Assert.True(next > remote);
        Assert.True(next > local);
    }

    [Fact]
    public void Observe_of_an_older_version_changes_nothing()
    {
        var a = _clock.Next();

        _clock.Observe(a - 1000);
        _clock.Observe(0);

        Assert.Equal(a + 1, _clock.Next());
    }

    [Fact]
    public void Versions_are_unique_across_threads()
    {
        const int Threads = 4;
        const int PerThread = 20_000;
        var results = new long[Threads][];
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var mine = new long[PerThread];
            for (var i = 0; i < PerThread; i++)
                mine[i] = _clock.Next();
            results[t] = mine;
        })).ToList();

        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        Assert.All(results, r =>
        {
            for (var i = 1; i < r.Length; i++)
                Assert.True(r[i] > r[i - 1]);
        });
        Assert.Equal(Threads * PerThread, results.SelectMany(r => r).Distinct().Count());
    }
}
