namespace HTableCluster.Storage.Tests;

public class TableOptionsTests
{
    [Fact]
    public void Empty_attribute_list_gives_the_defaults()
    {
        var o = TableOptions.Parse("t=>");

        Assert.Equal("t", o.Name);
        Assert.Equal(4, o.Size);
        Assert.Equal(16, o.SlotCount);
        Assert.Equal(0, o.AutoExpire);
        Assert.Equal("", o.DbTable);
        Assert.Empty(o.Cols);
        Assert.Equal(0, o.DbMode);
        Assert.Null(o.InitVal);
        Assert.True(o.UpdateExpire);
        Assert.False(o.DmqReplicate);
        Assert.Equal(",", o.ColDelim);
        Assert.Equal("*", o.ColNull); // Kamailio packs a NULL column as '*'
        Assert.Equal(0, o.ReloadAt);
    }

    [Fact]
    public void Every_attribute_is_parsed()
    {
        var o = TableOptions.Parse(
            "users=>size=8;autoexpire=7200;dbtable=location;cols='key_name,key_value';dbmode=1;initval=-5;"
            + "updateexpire=0;dmqreplicate=1;coldelim=|;colnull=NULL");

        Assert.Equal("users", o.Name);
        Assert.Equal(8, o.Size);
        Assert.Equal(256, o.SlotCount);
        Assert.Equal(7200, o.AutoExpire);
        Assert.Equal("location", o.DbTable);
        Assert.Equal(["key_name", "key_value"], o.Cols);
        Assert.Equal(1, o.DbMode);
        Assert.Equal(-5L, o.InitVal);
        Assert.False(o.UpdateExpire);
        Assert.True(o.DmqReplicate);
        Assert.Equal("|", o.ColDelim);
        Assert.Equal("NULL", o.ColNull);
    }

    [Theory]
    [InlineData("updateexpire=1", true)]
    [InlineData("updateexpire=0", false)]
    public void Updateexpire_flag(string attribute, bool expected) =>
        Assert.Equal(expected, TableOptions.Parse("t=>" + attribute).UpdateExpire);

    [Theory]
    [InlineData("dmqreplicate=0", false)]
    [InlineData("dmqreplicate=1", true)]
    public void Dmqreplicate_flag(string attribute, bool expected) =>
        Assert.Equal(expected, TableOptions.Parse("t=>" + attribute).DmqReplicate);

    [Theory]
    [InlineData("initval=0", 0L)]
    [InlineData("initval=42", 42L)]
    [InlineData("initval=+7", 7L)]
    [InlineData("initval=-1", -1L)]
    [InlineData("initval=-9223372036854775808", long.MinValue)]
    [InlineData("initval=9223372036854775807", long.MaxValue)]
    public void Initval_accepts_signed_64_bit_values(string attribute, long expected) =>
        Assert.Equal(expected, TableOptions.Parse("t=>" + attribute).InitVal);

    [Fact]
    public void Cols_in_double_quotes_are_split_and_trimmed()
    {
        var o = TableOptions.Parse("t=>cols=\"prefix, a ,b\";size=6");

        Assert.Equal(["prefix", "a", "b"], o.Cols);
        Assert.Equal(6, o.Size);
    }

    [Fact]
    public void Semicolon_inside_quotes_does_not_end_the_attribute()
    {
        var o = TableOptions.Parse("t=>dbtable='odd;name';autoexpire=5");

        Assert.Equal("odd;name", o.DbTable);
        Assert.Equal(5, o.AutoExpire);
    }

    [Fact]
    public void Whitespace_and_trailing_semicolon_are_ignored()
    {
        var o = TableOptions.Parse("  calls =>  size = 10 ; autoexpire=30 ;");

        Assert.Equal("calls", o.Name);
        Assert.Equal(10, o.Size);
        Assert.Equal(30, o.AutoExpire);
    }

    [Fact]
    public void First_occurrence_of_a_repeated_attribute_wins()
    {
        var o = TableOptions.Parse("t=>size=8;autoexpire=5;size=10;dbtable=a;autoexpire=7;dbtable=b");

        Assert.Equal(8, o.Size);
        Assert.Equal(5, o.AutoExpire);
        Assert.Equal("a", o.DbTable);
    }

    [Fact]
    public void Colnull_may_be_empty()
    {
        var o = TableOptions.Parse("t=>colnull=");

        Assert.Equal("", o.ColNull);
        Assert.Equal("", TableOptions.Parse("t=>colnull=''").ColNull);
        Assert.Equal("", TableOptions.Parse(o.ToDefinition()).ColNull);
    }

    [Theory]
    [InlineData(0, 8)]
    [InlineData(1, 8)]
    [InlineData(2, 4)]
    [InlineData(3, 8)]
    [InlineData(4, 16)]
    [InlineData(10, 1024)]
    [InlineData(14, 16384)]
    [InlineData(15, 32768)]
    [InlineData(20, 1 << 20)]
    [InlineData(30, 1 << 30)]
    [InlineData(32, 16384)]
    [InlineData(40, 16384)]
    public void SlotCount_is_clamped(int size, int slots)
    {
        var o = TableOptions.Parse($"t=>size={size}");

        Assert.Equal(size, o.Size);
        Assert.Equal(slots, o.SlotCount);
        Assert.Equal(slots, new HTable(o, new HybridClock(new ManualTime()), 4).SlotCount);
    }

    [Fact]
    public void Partition_count_never_exceeds_slot_count()
    {
        var table = new HTable(TableOptions.Parse("t=>size=2"), new HybridClock(new ManualTime()), 8);

        Assert.Equal(4, table.PartitionCount);
    }

    [Fact]
    public void ToDefinition_round_trips()
    {
        var original = TableOptions.Parse(
            "users=>size=8;autoexpire=60;dbtable=loc;cols='k,v1,v2';dbmode=1;initval=-3;updateexpire=0;dmqreplicate=1;coldelim=|;colnull=N");

        var again = TableOptions.Parse(original.ToDefinition());

        Assert.Equal(original.Name, again.Name);
        Assert.Equal(original.Size, again.Size);
        Assert.Equal(original.AutoExpire, again.AutoExpire);
        Assert.Equal(original.DbTable, again.DbTable);
        Assert.Equal(original.Cols, again.Cols);
        Assert.Equal(original.DbMode, again.DbMode);
        Assert.Equal(original.InitVal, again.InitVal);
        Assert.Equal(original.UpdateExpire, again.UpdateExpire);
        Assert.Equal(original.DmqReplicate, again.DmqReplicate);
        Assert.Equal(original.ColDelim, again.ColDelim);
        Assert.Equal(original.ColNull, again.ColNull);
    }

    [Theory]
    [InlineData("t=>size=8;colour=red", "colour")]
    [InlineData("t=>expire=10", "expire")]
    public void Unknown_attribute_is_named(string definition, string attribute)
    {
        var ex = Assert.Throws<FormatException>(() => TableOptions.Parse(definition));

        Assert.Contains("unknown attribute", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"'{attribute}'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("size=abc", "size", "abc")]
    [InlineData("size=-1", "size", "-1")]
    [InlineData("size=99999999999", "size", "99999999999")]
    [InlineData("autoexpire=1.5", "autoexpire", "1.5")]
    [InlineData("autoexpire=-10", "autoexpire", "-10")]
    [InlineData("dbmode=2", "dbmode", "2")]
    [InlineData("updateexpire=yes", "updateexpire", "yes")]
    [InlineData("dmqreplicate=3", "dmqreplicate", "3")]
    [InlineData("initval=ten", "initval", "ten")]
    [InlineData("initval=9223372036854775808", "initval", "9223372036854775808")]
    public void Bad_number_names_attribute_and_value(string attribute, string name, string value)
    {
        var ex = Assert.Throws<FormatException>(() => TableOptions.Parse("t=>dbtable=x;" + attribute));

        Assert.Contains($"attribute '{name}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("t=>cols='a,b")]
    [InlineData("t=>size=4;dbtable=\"location")]
    public void Unterminated_quote_is_rejected(string definition)
    {
        var ex = Assert.Throws<FormatException>(() => TableOptions.Parse(definition));

        Assert.Contains("unterminated quote", ex.Message, StringComparison.Ordinal);
        Assert.Contains(definition, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("t=>cols='onlyone'")]
    [InlineData("t=>cols=single")]
    [InlineData("t=>cols='a,'")]
    [InlineData("t=>cols=',b'")]
    [InlineData("t=>cols=''")]
    public void Cols_needs_at_least_two_names(string definition)
    {
        var ex = Assert.Throws<FormatException>(() => TableOptions.Parse(definition));

        Assert.Contains("attribute 'cols'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_coldelim_is_rejected()
    {
        var ex = Assert.Throws<FormatException>(() => TableOptions.Parse("t=>coldelim="));

        Assert.Contains("attribute 'coldelim'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("t:size=4")]
    [InlineData("t size=4")]
    [InlineData("t=size=4")]
    [InlineData("t= >size=4")]
    [InlineData("")]
    public void Missing_arrow_is_rejected(string definition)
    {
        var ex = Assert.Throws<FormatException>(() => TableOptions.Parse(definition));

        Assert.Contains("=>", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("=>size=4")]
    [InlineData("   =>size=4")]
    [InlineData("my table=>size=4")]
    public void Bad_table_name_is_rejected(string definition) =>
        Assert.Throws<FormatException>(() => TableOptions.Parse(definition));

    [Fact]
    public void Attribute_without_value_is_named()
    {
        var ex = Assert.Throws<FormatException>(() => TableOptions.Parse("t=>size=4;autoexpire"));

        Assert.Contains("'autoexpire'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_definition_throws_ArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => TableOptions.Parse(null!));

    [Fact]
    public void Size_31_is_refused()
    {
        var ex = Assert.Throws<FormatException>(() => TableOptions.Parse("t=>size=31"));
        Assert.Contains("attribute 'size'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Repeated_attribute_is_still_validated()
    {
        var ex = Assert.Throws<FormatException>(() => TableOptions.Parse("t=>size=8;size=abc"));
        Assert.Contains("attribute 'size'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unterminated_quote_names_the_attribute()
    {
        var ex = Assert.Throws<FormatException>(() => TableOptions.Parse("t=>size=4;cols='a,b"));
        Assert.Contains("attribute 'cols'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("t=>dbtable=x;reloadat=60", 60)]
    [InlineData("t=>dbtable=x;reloadat=0", 0)]
    [InlineData("t=>dbtable=x", 0)]
    public void Reloadat_is_seconds_between_reloads(string definition, int seconds) =>
        Assert.Equal(seconds, TableOptions.Parse(definition).ReloadAt);

    [Theory]
    [InlineData("reloadat=-1")]
    [InlineData("reloadat=1h")]
    [InlineData("reloadat=12:00")]
    public void Bad_reloadat_is_named(string attribute)
    {
        var ex = Assert.Throws<FormatException>(() => TableOptions.Parse("t=>dbtable=x;" + attribute, []));
        Assert.Contains("attribute 'reloadat'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reloadat_round_trips_through_the_definition()
    {
        var original = TableOptions.Parse("t=>size=6;dbtable=x;reloadat=300");
        Assert.Contains(";reloadat=300", original.ToDefinition(), StringComparison.Ordinal);
        Assert.Equal(300, TableOptions.Parse(original.ToDefinition()).ReloadAt);
        Assert.DoesNotContain("reloadat", TableOptions.Parse("t=>size=6").ToDefinition(), StringComparison.Ordinal);
    }

    [Fact]
    public void With_a_collector_unknown_attributes_are_collected_and_the_rest_applies()
    {
        var unknown = new List<string>();

        var o = TableOptions.Parse("t=>size=6;futureattr=7;autoexpire=30;Other='a;b'", unknown);

        Assert.Equal(["futureattr=7", "other=a;b"], unknown);
        Assert.Equal(6, o.Size);
        Assert.Equal(30, o.AutoExpire);
    }

    [Fact]
    public void With_a_collector_a_bad_value_of_a_known_attribute_is_still_an_error()
    {
        var ex = Assert.Throws<FormatException>(() => TableOptions.Parse("t=>futureattr=7;size=abc", []));
        Assert.Contains("attribute 'size'", ex.Message, StringComparison.Ordinal);
    }
}
