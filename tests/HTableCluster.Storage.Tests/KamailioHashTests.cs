using System.Text;
using HTableCluster.Storage;

namespace HTableCluster.Storage.Tests;

public class KamailioHashTests
{
    // Slots from the htable documentation's dump example (256 slots) and from the recorded 5.6 server.
    [Theory]
    [InlineData("key[0]", 256, 35)]
    [InlineData("key::size", 256, 50)]
    [InlineData("key[1]", 256, 67)]
    [InlineData("key[2]", 256, 227)]
    [InlineData("k", 256, 102)]
    public void Slot_matches_kamailio(string key, int slots, int expected) =>
        Assert.Equal(expected, KamailioHash.SlotOf(Encoding.UTF8.GetBytes(key), slots));

    [Fact]
    public void Hash_folds_ascii_case_only()
    {
        Assert.Equal(KamailioHash.Compute("a"u8), KamailioHash.Compute("A"u8));
        Assert.Equal(2063405720u, KamailioHash.Compute("test"u8));
    }

    [Fact]
    public void Empty_key_hashes_to_zero() => Assert.Equal(0u, KamailioHash.Compute([]));

    // One byte 0x80 is the signed char -128: v = 0xFFFFFF80, h = v ^ (v >> 3) = 0xE0000070,
    // final mix 0xE0000070 + 0x1C0000 + 0x70000 + 0x1C0 = 0xE0230230. Unsigned char would give 0x90.
    [Fact]
    public void High_byte_is_sign_extended_worked_example()
    {
        Assert.Equal(0xE0230230u, KamailioHash.Compute([0x80]));
        Assert.NotEqual(0x90u, KamailioHash.Compute([0x80]));
    }

    [Theory]
    [InlineData("é")]
    [InlineData("É")]
    [InlineData("ключ")]
    [InlineData("Ключ-Key")]
    [InlineData("日本語キー")]
    [InlineData("sip:müller@example.com")]
    [InlineData("emoji-😀-TAIL")]
    [InlineData("ÿÿÿÿÿÿÿ")]
    [InlineData("ABC\u00a0xyz")]
    public void Non_ascii_keys_match_reference(string key)
    {
        var bytes = Encoding.UTF8.GetBytes(key);

        Assert.Equal(Reference(bytes), KamailioHash.Compute(bytes));
    }

    [Fact]
    public void Every_byte_value_in_every_position_matches_reference()
    {
        // Lengths 1..9 cover the 4-byte loop, the tail loop and their combination.
        var random = new Random(1234);
        for (var length = 1; length <= 9; length++)
        {
            for (var b = 0; b < 256; b++)
            {
                var key = new byte[length];
                random.NextBytes(key);
                key[b % length] = (byte)b;
                Assert.Equal(Reference(key), KamailioHash.Compute(key));
            }
        }
    }

    [Fact]
    public void Non_ascii_letters_are_not_case_folded()
    {
        // Only A-Z fold: "É" (C3 89) and "é" (C3 A9) are different bytes and hash differently.
        Assert.NotEqual(KamailioHash.Compute("É"u8), KamailioHash.Compute("é"u8));
        Assert.Equal(KamailioHash.Compute("KEY-é"u8), KamailioHash.Compute("key-é"u8));
    }

    [Fact]
    public void Table_slot_of_non_ascii_key_uses_the_kamailio_hash()
    {
        var table = new HTable(TableOptions.Parse("t=>size=8"), new HybridClock(new ManualTime()), 4);
        var key = HTable.MakeKey("ключ");

        Assert.Equal((int)(Reference(Encoding.UTF8.GetBytes("ключ")) & 255), table.SlotOf(key));
        Assert.Equal(KamailioHash.SlotOf(key.Utf8, 256), table.SlotOf(key));
        Assert.Equal(table.PartitionOf(key), table.PartitionOf(HTable.MakeKey("ключ")));
    }

    // Independent port in signed int arithmetic, the way the C code computes it before the
    // implicit conversion to unsigned.
    private static uint Reference(byte[] s)
    {
        unchecked
        {
            var h = 0;
            var i = 0;
            for (; i + 4 <= s.Length; i += 4)
            {
                var v = (Fold(s[i]) << 24) + (Fold(s[i + 1]) << 16) + (Fold(s[i + 2]) << 8) + Fold(s[i + 3]);
                h += v ^ (int)((uint)v >> 3);
            }
            var t = 0;
            for (; i < s.Length; i++)
                t = (t << 8) + Fold(s[i]);
            h += t ^ (int)((uint)t >> 3);
            var u = (uint)h;
            return u + (u >> 11) + ((u >> 13) + (u >> 23));
        }
    }

    private static int Fold(byte b)
    {
        var c = b > 127 ? b - 256 : b;
        return c is >= 65 and <= 90 ? c + 32 : c;
    }
}
