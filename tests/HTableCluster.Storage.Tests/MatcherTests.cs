using System.Text;

namespace HTableCluster.Storage.Tests;

public class MatcherTests
{
    private static bool Matches(MatchOperator op, string pattern, string text) =>
        Matcher.Create(op, pattern).IsMatch(Encoding.UTF8.GetBytes(text));

    [Theory]
    [InlineData("ali", "ALICE", true)]
    [InlineData("ALI", "malice", true)]
    [InlineData("^ali", "malice", false)]
    [InlineData("ice$", "Alice", true)]
    [InlineData("ice$", "iced", false)]
    [InlineData("a[0-9]+b", "xxA123Byy", true)]
    [InlineData("^(foo|bar)$", "BAR", true)]
    [InlineData("^(foo|bar)$", "barn", false)]
    [InlineData("ключ", "КЛЮЧ-1", true)]
    public void Regex_is_case_insensitive_and_unanchored(string pattern, string text, bool expected) =>
        Assert.Equal(expected, Matches(MatchOperator.Regex, pattern, text));

    [Theory]
    [InlineData(MatchOperator.StartsWith, "ali", "alice", true)]
    [InlineData(MatchOperator.StartsWith, "ali", "Alice", false)]
    [InlineData(MatchOperator.StartsWith, "", "x", true)]
    [InlineData(MatchOperator.EndsWith, "ice", "malice", true)]
    [InlineData(MatchOperator.EndsWith, "ice", "ICE", false)]
    [InlineData(MatchOperator.EndsWith, "longer-than-text", "text", false)]
    [InlineData(MatchOperator.Contains, "lic", "malice", true)]
    [InlineData(MatchOperator.Contains, "LIC", "malice", false)]
    [InlineData(MatchOperator.Equals, "alice", "alice", true)]
    [InlineData(MatchOperator.Equals, "alice", "Alice", false)]
    [InlineData(MatchOperator.Equals, "alice", "alice ", false)]
    [InlineData(MatchOperator.EqualsIgnoreCase, "alice", "ALICE", true)]
    [InlineData(MatchOperator.EqualsIgnoreCase, "alice", "alic", false)]
    [InlineData(MatchOperator.EqualsIgnoreCase, "a-1", "A-1", true)]
    [InlineData(MatchOperator.Any, "ignored", "whatever", true)]
    public void Plain_operators(MatchOperator op, string pattern, string text, bool expected) =>
        Assert.Equal(expected, Matches(op, pattern, text));

    [Theory]
    [InlineData("(")]
    [InlineData("[a-")]
    [InlineData("a{2,1}")]
    [InlineData("*a")]
    public void Invalid_regex_gives_false_and_a_message(string pattern)
    {
        Assert.False(Matcher.TryCreate(MatchOperator.Regex, pattern, out var matcher, out var error));

        Assert.Null(matcher);
        Assert.NotNull(error);
        Assert.StartsWith("invalid regular expression: ", error, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Matcher.Create(MatchOperator.Regex, pattern));
    }

    [Theory]
    [InlineData(@"(a)\1")]
    [InlineData("(?=a)a")]
    public void Constructs_the_linear_engine_cannot_run_are_rejected(string pattern)
    {
        Assert.False(Matcher.TryCreate(MatchOperator.Regex, pattern, out var matcher, out var error));

        Assert.Null(matcher);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Non_regex_operators_accept_any_text()
    {
        Assert.True(Matcher.TryCreate(MatchOperator.Contains, "(", out var matcher, out var error));

        Assert.NotNull(matcher);
        Assert.Null(error);
        Assert.Equal(MatchOperator.Contains, matcher.Operator);
        Assert.Equal("(", matcher.Pattern);
        Assert.True(matcher.IsMatch("a(b"u8));
    }

    [Fact]
    public void Hostile_regex_completes()
    {
        var matcher = Matcher.Create(MatchOperator.Regex, "(a+)+$");
        var text = Encoding.UTF8.GetBytes(new string('a', 50_000) + "!");

        Assert.False(matcher.IsMatch(text));
        Assert.True(matcher.IsMatch("xaaa"u8));
    }

    [Theory]
    [InlineData("re", MatchOperator.Regex)]
    [InlineData("sw", MatchOperator.StartsWith)]
    [InlineData("ew", MatchOperator.EndsWith)]
    [InlineData("in", MatchOperator.Contains)]
    [InlineData("eq", MatchOperator.Equals)]
    [InlineData("eqi", MatchOperator.EqualsIgnoreCase)]
    public void Operator_names_parse(string text, MatchOperator expected)
    {
        Assert.True(Matcher.TryParseOperator(text, out var op));
        Assert.Equal(expected, op);
    }

    [Theory]
    [InlineData("")]
    [InlineData("RE")]
    [InlineData("~~")]
    [InlineData("like")]
    public void Unknown_operator_names_fail(string text) =>
        Assert.False(Matcher.TryParseOperator(text, out _));

    [Fact]
    public void Value_match_skips_integers()
    {
        var matcher = Matcher.Create(MatchOperator.Regex, "^1");

        Assert.False(matcher.IsValueMatch(Entry.CreateInteger("k"u8, 123, 0, 1, 0)));
        Assert.True(matcher.IsValueMatch(Entry.CreateString("k"u8, "123"u8, 0, 1, 0)));
        Assert.False(Matcher.Create(MatchOperator.Any, "").IsValueMatch(Entry.CreateInteger("k"u8, 1, 0, 1, 0)));
    }

    [Theory]
    [InlineData("ключ", "ключ")]
    [InlineData("Müller", "MüLLER")]
    public void EqualsIgnoreCase_handles_non_ascii(string pattern, string text) =>
        Assert.True(Matcher.Create(MatchOperator.EqualsIgnoreCase, pattern).IsMatch(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void EqualsIgnoreCase_folds_only_ascii_letters() =>
        Assert.False(Matcher.Create(MatchOperator.EqualsIgnoreCase, "a@").IsMatch("A`"u8));
}
