namespace HTableCluster.Storage.Tests;

/// <summary>A clock that only moves when a test moves it (forwards or backwards).</summary>
public sealed class ManualTime : TimeProvider
{
    private long _utcTicks;

    public ManualTime()
        : this(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    public ManualTime(DateTimeOffset start) => _utcTicks = start.UtcTicks;

    public long NowMs => GetUtcNow().ToUnixTimeMilliseconds();

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);

    public void AdvanceMs(long ms) => Advance(TimeSpan.FromMilliseconds(ms));

    public void AdvanceSeconds(double seconds) => Advance(TimeSpan.FromSeconds(seconds));
}
