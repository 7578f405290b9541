using System.Globalization;
using System.Text;

namespace HTableCluster.Storage.Tests;

public class EntryTests
{
    [Fact]
    public void String_entry_accessors()
    {
        var e = Entry.CreateString("ключ"u8, "значение"u8, 1234, 99, 0);

        Assert.Equal("ключ", e.Key);
        Assert.Equal("ключ"u8.ToArray(), e.KeyUtf8.ToArray());
        Assert.False(e.IsInteger);
        Assert.Equal("значение", e.StringValue);
        Assert.Equal("значение"u8.ToArray(), e.ValueUtf8.ToArray());
        Assert.Equal(0, e.IntValue);
        Assert.Equal("значение", e.ValueText);
        Assert.Equal(1234, e.ExpiresAtMs);
        Assert.Equal(99, e.Version);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-42L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void Integer_entry_accessors(long value)
    {
        var e = Entry.CreateInteger("n"u8, value, 0, 1, 0);

        Assert.Equal("n", e.Key);
        Assert.True(e.IsInteger);
        Assert.Equal(value, e.IntValue);
        Assert.Null(e.StringValue);
        Assert.True(e.ValueUtf8.IsEmpty);
        Assert.Equal(value.ToString(CultureInfo.InvariantCulture), e.ValueText);
    }

    [Fact]
    public void ValueText_ignores_current_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            var odd = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            odd.NumberFormat.NegativeSign = "~";
            CultureInfo.CurrentCulture = odd;
            Assert.Equal("-5", Entry.CreateInteger("n"u8, -5, 0, 1, 0).ValueText);
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void IsExpired_is_due_at_the_expiry_instant()
    {
        var never = Entry.CreateString("k"u8, "v"u8, 0, 1, 0);
        var timed = Entry.CreateString("k"u8, "v"u8, 1000, 1, 0);

        Assert.False(never.IsExpired(long.MaxValue));
        Assert.False(timed.IsExpired(999));
        Assert.True(timed.IsExpired(1000));
        Assert.True(timed.IsExpired(5000));
    }

    [Fact]
    public void WithExpiry_keeps_key_and_value()
    {
        var e = Entry.CreateString("k"u8, "v"u8, 10, 1, 0);

        var f = e.WithExpiry(20, 2);

        Assert.Equal("k", f.Key);
        Assert.Equal("v", f.StringValue);
        Assert.Equal(20, f.ExpiresAtMs);
        Assert.Equal(2, f.Version);
        Assert.Equal(10, e.ExpiresAtMs);
    }

    [Fact]
    public void Table_entries_carry_utf8_key_and_value()
    {
        var table = TestTables.Create("t=>", new ManualTime());

        var e = table.Set("sip:müller@example.com", "Grüße");

        Assert.Equal(Encoding.UTF8.GetBytes("sip:müller@example.com"), e.KeyUtf8.ToArray());
        Assert.Equal(Encoding.UTF8.GetBytes("Grüße"), e.ValueUtf8.ToArray());
        Assert.Equal("Grüße", e.ValueText);
    }
}
