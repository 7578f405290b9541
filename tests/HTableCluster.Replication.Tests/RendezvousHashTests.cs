namespace HTableCluster.Replication.Tests;

public class RendezvousHashTests
{
    private static readonly string[] Members = ["akka.tcp://htcluster@127.0.0.1:4053", "akka.tcp://htcluster@127.0.0.1:4054", "akka.tcp://htcluster@127.0.0.1:4055"];

    [Fact]
    public void Every_member_agrees_on_the_owner_whatever_the_order_of_its_list()
    {
        string[] reversed = [.. Members.Reverse()];
        for (var i = 0; i < 200; i++)
        {
            var key = "k" + i;
            Assert.Equal(RendezvousHash.Owner("t", key, Members), RendezvousHash.Owner("t", key, reversed));
        }
    }

    [Fact]
    public void The_ranks_of_the_members_are_a_permutation_and_rank_0_is_the_owner()
    {
        for (var i = 0; i < 200; i++)
        {
            var key = "k" + i;
            var ranks = Members.Select(m => RendezvousHash.Rank("t", key, m, Members)).Order().ToArray();
            Assert.Equal([0, 1, 2], ranks);
            var owner = RendezvousHash.Owner("t", key, Members)!;
            Assert.Equal(0, RendezvousHash.Rank("t", key, owner, Members));
        }
    }

    [Fact]
    public void Keys_spread_over_every_member()
    {
        var owners = Enumerable.Range(0, 300).Select(i => RendezvousHash.Owner("t", "k" + i, Members)).ToHashSet();
        Assert.Equal(Members.Length, owners.Count);
    }

    [Fact]
    public void A_member_leaving_moves_only_the_keys_it_owned_to_the_member_ranked_second()
    {
        string[] survivors = [Members[0], Members[1]];
        for (var i = 0; i < 300; i++)
        {
            var key = "k" + i;
            var before = RendezvousHash.Owner("t", key, Members)!;
            var after = RendezvousHash.Owner("t", key, survivors);
            if (before != Members[2])
                Assert.Equal(before, after);
            else
                Assert.Equal(1, RendezvousHash.Rank("t", key, after!, Members));
        }
    }

    [Fact]
    public void The_table_takes_part_in_the_choice()
    {
        var differs = Enumerable.Range(0, 100).Any(i => RendezvousHash.Owner("a", "k" + i, Members) != RendezvousHash.Owner("b", "k" + i, Members));
        Assert.True(differs);
    }

    [Fact]
    public void A_member_outside_the_list_ranks_first_and_no_member_gives_no_owner()
    {
        Assert.Equal(0, RendezvousHash.Rank("t", "k", "akka.tcp://htcluster@127.0.0.1:9999", Members));
        Assert.Null(RendezvousHash.Owner("t", "k", []));
    }
}
