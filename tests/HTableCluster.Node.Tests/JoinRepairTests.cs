using System.Globalization;

namespace HTableCluster.Node.Tests;

/// <summary>
/// What a joining node receives: with init sync off, every write made after it joined; with it on,
/// every item its peers hold, autoexpire tables included.
/// </summary>
public sealed class JoinRepairTests
{
    private static readonly string[] Tables = ["r=>size=8;dmqreplicate=1", "e=>size=4;autoexpire=120;dmqreplicate=1"];

    private static string Key(int i) => "k" + i.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Without_init_sync_writes_made_right_after_the_join_reach_the_new_node_and_older_content_stays_away()
    {
        var often = new Dictionary<string, string?> { ["Replication:AntiEntropySeconds"] = "1" };
        await using var n1 = await ClusterNode.StartAsync("n1", Tables, settings: often);
        await n1.WaitReadyAsync();
        await n1.ResultAsync("htable.sets", "r", "before", "old");
        // Written well before the join (more than the one second a joining node allows for clock
        // differences).
        await Task.Delay(1500);
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1, new Dictionary<string, string?>(often) { ["Htable:DmqInitSync"] = "0" });
        await n2.WaitReadyAsync();

        // Writes on n1 from the moment n2 is ready, while the pub-sub registry may still not know
        // n2's subscription.
        const int Writes = 40;
        for (var i = 0; i < Writes; i++)
        {
            await n1.ResultAsync("htable.sets", "r", Key(i), "v" + i.ToString(CultureInfo.InvariantCulture));
            await Task.Delay(50);
        }

        await ClusterNode.EventuallyAsync(async () =>
        {
            for (var i = 0; i < Writes; i++)
                Assert.Equal("v" + i.ToString(CultureInfo.InvariantCulture), (await n2.ResultAsync("htable.value", "r", Key(i))).GetString());
        }, TimeSpan.FromSeconds(15));
        // What was there before the join stays away, as Kamailio's dmq_init_sync=0 keeps it, also
        // once anti-entropy rounds have compared the settled items (n1's rounds are declined, n2's
        // compare only what was stamped since it joined).
        var rounds = n2.Replication.DigestRounds;
        await Task.Delay(TimeSpan.FromSeconds(6));
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.True(n2.Replication.DigestRounds >= rounds + 2 && n1.Replication.DigestRounds >= 2);
            return Task.CompletedTask;
        });
        Assert.Equal((500, "Key name doesn't exist in htable."), await n2.ErrorAsync("htable.get", "r", "before"));
    }

    [Fact]
    public async Task Without_init_sync_a_write_on_another_member_the_moment_the_node_is_up_reaches_it()
    {
        await using var n1 = await ClusterNode.StartAsync("n1", Tables);
        await n1.WaitReadyAsync();
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1);
        await n2.WaitReadyAsync();
        var joining = ClusterNode.StartAsync("n3", Tables, n1, new Dictionary<string, string?> { ["Htable:DmqInitSync"] = "0" });
        // As soon as n2 sees n3 Up, n2 writes: its pub-sub registry does not know n3's
        // subscription yet, so these batches do not reach n3 live.
        var cluster = Akka.Cluster.Cluster.Get(n2.System);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!cluster.State.Members.Any(m => m.Status == Akka.Cluster.MemberStatus.Up && m.Address != cluster.SelfAddress && m.Address != Akka.Cluster.Cluster.Get(n1.System).SelfAddress))
        {
            Assert.True(DateTime.UtcNow < deadline, "n3 did not come up");
            await Task.Delay(5);
        }
        for (var i = 0; i < 10; i++)
            await n2.ResultAsync("htable.sets", "r", Key(i), "early");
        await using var n3 = await joining;
        await n3.WaitReadyAsync();

        await ClusterNode.EventuallyAsync(async () =>
        {
            for (var i = 0; i < 10; i++)
                Assert.Equal("early", (await n3.ResultAsync("htable.value", "r", Key(i))).GetString());
        }, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Without_init_sync_a_write_made_elsewhere_once_the_node_is_ready_arrives_live_20_times()
    {
        // Announcements once a minute and no anti-entropy rounds: a write the pub-sub path does not
        // deliver would not be repaired within the test (before the handshake, 1 to 2 of 20 joins
        // missed it for the second until the next announcement).
        var live = new Dictionary<string, string?> { ["Replication:HeadsIntervalMs"] = "60000", ["Replication:AntiEntropySeconds"] = "0" };
        await using var n1 = await ClusterNode.StartAsync("n1", Tables, settings: live);
        await n1.WaitReadyAsync();
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1, live);
        await n2.WaitReadyAsync();
        var late = new List<string>();
        for (var round = 0; round < 20; round++)
        {
            var id = "j" + round.ToString(CultureInfo.InvariantCulture);
            await using var joining = await ClusterNode.StartAsync(id, Tables, n1, new Dictionary<string, string?>(live) { ["Htable:DmqInitSync"] = "0" });
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!joining.IsReady)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{id} not ready in time");
                await Task.Delay(1);
            }
            // The write goes to one of the older members in turn, the moment the new one is ready.
            var writer = round % 2 == 0 ? n1 : n2;
            await writer.ResultAsync("htable.sets", "r", id, "written-after-ready");
            var written = System.Diagnostics.Stopwatch.StartNew();
            var table = joining.Node.Table("r");
            // Normally within milliseconds (50 ms is the goal); a loaded test machine gets a second.
            while (table.Get(id) is null && written.Elapsed < TimeSpan.FromSeconds(1))
                await Task.Delay(1);
            if (table.Get(id) is null)
                late.Add(id);
        }
        Assert.Empty(late);
    }

    [Fact]
    public async Task A_snapshot_whose_donor_goes_away_mid_stream_is_taken_from_another_donor()
    {
        var small = new Dictionary<string, string?> { ["Replication:MaxBatchBytes"] = "1024", ["Replication:SyncTimeoutSeconds"] = "2", ["Cluster:DownAfterSeconds"] = "3" };
        var n1 = await ClusterNode.StartAsync("n1", Tables, settings: small);
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1, small);
        try
        {
            await n1.WaitReadyAsync();
            await n2.WaitReadyAsync();
            const int Items = 100_000;
            for (var b = 0; b < Items / 1000; b++)
            {
                var batch = string.Join(",", Enumerable.Range(b * 1000, 1000).Select(i =>
                    $$"""{"jsonrpc":"2.0","method":"htable.sets","params":["r","{{Key(i)}}","{{new string('v', 64)}}"],"id":{{i}}}"""));
                Assert.Equal(200, (await n1.PostAsync("[" + batch + "]")).Status);
            }
            await ClusterNode.EventuallyAsync(async () => Assert.Equal(Items, (await n2.ResultAsync("htable.count_name", "r", "**")).GetInt32()));

            // n3 takes its snapshot from the oldest member, n1, in chunks of 1 KiB; n1's actor
            // system is gone at once when the first chunks are in.
            await using var n3 = await ClusterNode.StartAsync("n3", Tables, n1, small);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (n3.Replication.SyncItems == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "no snapshot chunk arrived");
                await Task.Delay(5);
            }
            ((Akka.Actor.ExtendedActorSystem)n1.System).Abort();
            Assert.False(n3.IsReady);

            await n3.WaitReadyAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(Items, (await n3.ResultAsync("htable.count_name", "r", "**")).GetInt32());
            Assert.True(n3.Replication.SyncItems > Items, "the second donor served the whole table again");
        }
        finally
        {
            await n1.DisposeAsync();
        }
    }

    [Fact]
    public async Task With_init_sync_a_joining_node_holds_every_item_of_an_autoexpire_table()
    {
        await using var n1 = await ClusterNode.StartAsync("n1", Tables);
        await n1.WaitReadyAsync();
        var batch = string.Join(",", Enumerable.Range(0, 300).Select(i =>
            $$"""{"jsonrpc":"2.0","method":"htable.sets","params":["e","{{Key(i)}}","v{{i}}"],"id":{{i}}}"""));
        Assert.Equal(200, (await n1.PostAsync("[" + batch + "]")).Status);
        await n1.ResultAsync("htable.setex", "e", Key(1), 30);
        await n1.ResultAsync("htable.seti", "e", "n", 5);
        await n1.ResultAsync("htable.inc", "e", "n");

        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1);
        // Writes while n2 takes its snapshot.
        for (var i = 300; i < 320; i++)
            await n1.ResultAsync("htable.sets", "e", Key(i), "v" + i.ToString(CultureInfo.InvariantCulture));
        await n2.WaitReadyAsync();

        await ClusterNode.EventuallyAsync(async () =>
        {
            Assert.Equal(321, (await n2.ResultAsync("htable.count_name", "e", "**")).GetInt32());
        }, TimeSpan.FromSeconds(10));
        for (var i = 0; i < 320; i++)
            Assert.Equal("v" + i.ToString(CultureInfo.InvariantCulture), (await n2.ResultAsync("htable.value", "e", Key(i))).GetString());
        Assert.Equal(6, (await n2.ResultAsync("htable.value", "e", "n")).GetInt64());
        var ttl = (await n2.ResultAsync("htable.ttl", "e", Key(1))).GetInt64();
        Assert.InRange(ttl, 1, 30);
        var ttlOther = (await n2.ResultAsync("htable.ttl", "e", Key(2))).GetInt64();
        Assert.InRange(ttlOther, 90, 120);
    }
}
