using Akka.Actor;

namespace HTableCluster.Replication.Tests;

/// <summary>The snapshot client's decision after each answer, for every combination that matters.</summary>
public class SnapshotRunTests
{
    private static SnapshotRun Run(bool initial, int candidates = 0, bool asked = false, bool replace = false, int notReady = 0)
    {
        var run = new SnapshotRun(initial, new Queue<ICanTell>(Enumerable.Repeat<ICanTell>(ActorRefs.Nobody, candidates))) { Replace = replace, Asked = asked };
        for (var i = 0; i < notReady; i++)
            run.NotReady.Add(new Address("akka.tcp", "htcluster", "10.0.0." + i, 4053));
        return run;
    }

    [Fact]
    public void A_candidate_left_is_asked_whatever_came_before() =>
        Assert.Equal(SnapshotStep.AskNext, Run(initial: false, candidates: 1, asked: true, notReady: 2).NextStep(oldestAmongNotReady: true));

    [Fact]
    public void Nobody_to_ask_means_done_alone_or_for_a_resync_a_failure() =>
        Assert.Equal((SnapshotStep.NoPeer, SnapshotStep.NoPeer, SnapshotStep.ClearedWithoutPeer),
            (Run(initial: true).NextStep(false), Run(initial: false).NextStep(false), Run(initial: false, replace: true).NextStep(false)));

    [Fact]
    public void An_explicit_sync_that_found_no_donor_fails() =>
        Assert.Equal(SnapshotStep.Failed, Run(initial: false, asked: true, notReady: 1).NextStep(true));

    [Fact]
    public void A_first_sync_refused_for_good_by_everyone_goes_on_with_local_content() =>
        Assert.Equal(SnapshotStep.NoDonor, Run(initial: true, asked: true).NextStep(false));

    [Fact]
    public void Among_peers_still_syncing_the_oldest_serves_itself_and_the_others_wait() =>
        Assert.Equal((SnapshotStep.Oldest, SnapshotStep.WaitForPeers),
            (Run(initial: true, asked: true, notReady: 2).NextStep(true), Run(initial: true, asked: true, notReady: 2).NextStep(false)));
}
