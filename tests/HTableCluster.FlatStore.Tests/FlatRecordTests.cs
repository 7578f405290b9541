using System.Text;

namespace HTableCluster.FlatStore.Tests;

public class FlatRecordTests
{
    [Fact]
    public void Fields_are_separated_by_pipes_with_null_as_an_empty_field()
    {
        Assert.Equal("INVITE|abc@h|200|OK||1733300000\n", Encoding.UTF8.GetString(FlatRecord.Format(["INVITE", "abc@h", "200", "OK", null, "1733300000"])));
        Assert.Equal("\n", Encoding.UTF8.GetString(FlatRecord.Format([])));
    }

    [Fact]
    public void A_pipe_or_line_break_inside_a_value_cannot_split_the_record()
    {
        Assert.Equal("a%7Cb|c%0Ad%0De|é\n", Encoding.UTF8.GetString(FlatRecord.Format(["a|b", "c\nd\re", "é"])));
    }

    [Theory]
    [InlineData("acc", "n1", "acc_n1.log")]
    [InlineData("acc", "127.0.0.1:4053", "acc_127.0.0.1_4053.log")]
    [InlineData("missed_calls", "node/é", "missed_calls_node__.log")]
    public void Files_are_named_table_underscore_node(string table, string node, string expected) =>
        Assert.Equal(expected, FlatFileName.For(table, node));

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData("/etc/x")]
    [InlineData("a\\b")]
    [InlineData("a\0b")]
    [InlineData("a\nb")]
    public void Names_that_could_leave_the_directory_are_refused(string table) =>
        Assert.NotNull(FlatFileName.Problem(table));

    [Fact]
    public void Very_long_names_are_refused() =>
        Assert.Contains("longer than", FlatFileName.Problem(new string('a', FlatFileName.MaxTableLength + 1)), StringComparison.Ordinal);
}
