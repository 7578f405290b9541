using HTableCluster.Storage;

namespace HTableCluster.Replication.Tests;

public class TableFingerprintTests
{
    [Fact]
    public void Only_the_attributes_that_must_agree_change_the_fingerprint()
    {
        var plain = TableFingerprint.Of(TableOptions.Parse("t=>size=8;dmqreplicate=1"));
        Assert.Equal(plain, TableFingerprint.Of(TableOptions.Parse("t=>size=8;dmqreplicate=1;dbtable=other")));
        Assert.NotEqual(plain, TableFingerprint.Of(TableOptions.Parse("t=>size=9;dmqreplicate=1")));
        Assert.NotEqual(plain, TableFingerprint.Of(TableOptions.Parse("t=>size=8;autoexpire=60;dmqreplicate=1")));
        Assert.NotEqual(plain, TableFingerprint.Of(TableOptions.Parse("t=>size=8;initval=0;dmqreplicate=1")));
        Assert.Equal("size=8;autoexpire=60;updateexpire=1;initval=none", TableFingerprint.Describe(TableOptions.Parse("t=>size=8;autoexpire=60")));
    }
}
