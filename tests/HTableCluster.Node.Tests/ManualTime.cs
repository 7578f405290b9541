namespace HTableCluster.Node.Tests;

/// <summary>Wall clock the test moves by hand; timers and timestamps stay real.</summary>
public sealed class ManualTime : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow.AddTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}
