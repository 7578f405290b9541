using System.Text;

namespace HTableCluster.FlatStore.Tests;

public sealed class FlatLogWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "htc-flat-" + Guid.NewGuid().ToString("N"));

    public FlatLogWriterTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private FlatStoreOptions Options(bool flush = true) => new() { Directory = _dir, NodeId = "n1", Flush = flush, BufferFlushInterval = TimeSpan.FromMilliseconds(50) };

    [Fact]
    public async Task Records_are_appended_to_one_file_per_table_which_appears_at_the_first_record()
    {
        await using var store = new FlatStoreFiles(Options());
        Assert.Empty(Directory.GetFiles(_dir));
        await store.InsertAsync("acc", ["INVITE", "a", null]);
        await store.InsertAsync("acc", ["BYE", "b|c", "200"]);
        await store.InsertAsync("missed", ["x"]);

        // Acknowledged with flush=1: already in the file, before the writer is closed.
        Assert.Equal("INVITE|a|\nBYE|b%7Cc|200\n", await File.ReadAllTextAsync(Path.Combine(_dir, "acc_n1.log")));
        Assert.Equal("x\n", await File.ReadAllTextAsync(Path.Combine(_dir, "missed_n1.log")));
        Assert.Equal(3, store.Written);
    }

    [Fact]
    public async Task Concurrent_writers_with_renames_and_rotations_lose_tear_and_repeat_nothing()
    {
        await using var store = new FlatStoreFiles(Options());
        const int Writers = 8;
        const int PerWriter = 2000;
        var writes = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < PerWriter; i++)
                await store.InsertAsync("acc", [$"w{w}", i.ToString(System.Globalization.CultureInfo.InvariantCulture), new string('x', 40)]);
        })).ToList();
        var rotations = 0;
        while (writes.Any(t => !t.IsCompleted) && rotations < 50)
        {
            await Task.Delay(5);
            var current = Path.Combine(_dir, "acc_n1.log");
            if (File.Exists(current))
            {
                File.Move(current, Path.Combine(_dir, $"acc_n1.log.{rotations}"));
                await store.RotateAsync();
                rotations++;
            }
        }
        await Task.WhenAll(writes);

        var lines = Directory.GetFiles(_dir).SelectMany(File.ReadAllLines).ToList();
        Assert.Equal(Writers * PerWriter, lines.Count);
        Assert.Equal(lines.Count, lines.Distinct().Count());
        Assert.All(lines, l => Assert.Matches(@"^w\d\|\d+\|x{40}$", l));
        Assert.True(rotations > 0);
    }

    [Fact]
    public async Task Without_flush_records_reach_the_file_within_the_buffer_interval_and_at_close()
    {
        var store = new FlatStoreFiles(Options(flush: false));
        await store.InsertAsync("acc", ["a"]);
        var path = Path.Combine(_dir, "acc_n1.log");
        for (var i = 0; i < 100 && (!File.Exists(path) || new FileInfo(path).Length == 0); i++)
            await Task.Delay(20);
        Assert.Equal("a\n", await File.ReadAllTextAsync(path));
        await store.InsertAsync("acc", ["b"]);
        await store.DisposeAsync();
        Assert.Equal("a\nb\n", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task The_fsync_interval_forces_the_file_to_disk()
    {
        var files = new FakeFiles();
        var writer = new FlatLogWriter("/x/acc_n1.log", Options() with { FsyncInterval = TimeSpan.FromMilliseconds(20) }, files);
        await writer.AppendAsync(FlatRecord.Format(["a"]));
        for (var i = 0; i < 200 && files.Last!.Fsyncs == 0; i++)
            await Task.Delay(10);
        await writer.DisposeAsync();
        Assert.True(files.Last!.Fsyncs > 0);
        Assert.True(writer.Fsyncs > 0);
    }

    [Fact]
    public async Task A_failed_write_is_not_acknowledged_and_its_torn_tail_is_cut_off()
    {
        var files = new FakeFiles { FailAfterBytes = 6 };
        var writer = new FlatLogWriter("/x/acc_n1.log", Options(), files);
        await writer.AppendAsync(FlatRecord.Format(["ok"]));
        var full = await Assert.ThrowsAsync<IOException>(() => writer.AppendAsync(FlatRecord.Format(["too long"])));
        Assert.Contains("No space left", full.Message, StringComparison.Ordinal);
        Assert.Equal("ok\n", Encoding.UTF8.GetString(files.Content.ToArray()));
        Assert.Equal((1L, 1L), (writer.Written, writer.Failed));

        // Room again: the next record opens the file again and goes through.
        files.FailAfterBytes = int.MaxValue;
        await writer.AppendAsync(FlatRecord.Format(["later"]));
        Assert.Equal("ok\nlater\n", Encoding.UTF8.GetString(files.Content.ToArray()));
        await writer.DisposeAsync();
    }

    [Fact]
    public async Task A_removed_directory_fails_the_write_and_a_recreated_one_works_again()
    {
        await using var store = new FlatStoreFiles(Options());
        await store.InsertAsync("acc", ["a"]);
        await store.RotateAsync();
        Directory.Delete(_dir, recursive: true);
        await Assert.ThrowsAnyAsync<IOException>(() => store.InsertAsync("acc", ["lost"]));
        Assert.Equal(1, store.Failed);

        Directory.CreateDirectory(_dir);
        await store.InsertAsync("acc", ["b"]);
        Assert.Equal("b\n", await File.ReadAllTextAsync(Path.Combine(_dir, "acc_n1.log")));
    }

    [Fact]
    public async Task Bad_table_names_are_refused_and_counted_without_touching_the_disk()
    {
        await using var store = new FlatStoreFiles(Options());
        await Assert.ThrowsAsync<ArgumentException>(() => store.InsertAsync("../escape", ["x"]));
        await Assert.ThrowsAsync<ArgumentException>(() => store.InsertAsync("", ["x"]));
        Assert.Equal(2, store.Refused);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "escape_n1.log")));
    }

    [Fact]
    public async Task A_block_of_records_is_written_with_one_call_and_acknowledged_or_failed_as_one()
    {
        var files = new FakeFiles();
        await using var store = new FlatStoreFiles(Options(), files);
        await store.InsertManyAsync("acc", [["a", "1"], ["b|c", null], []]);
        Assert.Equal("a|1\nb%7Cc|\n\n", Encoding.UTF8.GetString(files.Content.ToArray()));
        Assert.Equal(1, files.Last!.Writes);
        Assert.Equal(3, store.Written);

        files.FailAfterBytes = (int)files.Content.Length + 5;
        await Assert.ThrowsAsync<IOException>(() => store.InsertManyAsync("acc", [["first"], ["second"]]));
        Assert.Equal("a|1\nb%7Cc|\n\n", Encoding.UTF8.GetString(files.Content.ToArray()));
        Assert.Equal(2, store.Failed);
    }

    [Fact]
    public async Task Records_for_more_tables_than_allowed_are_refused()
    {
        await using var store = new FlatStoreFiles(Options() with { MaxTables = 2 });
        await store.InsertAsync("a", ["x"]);
        await store.InsertAsync("b", ["x"]);
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => store.InsertAsync("c", ["x"]));
        Assert.Contains("more than 2 flatstore tables", ex.Message, StringComparison.Ordinal);
        await store.InsertAsync("a", ["y"]);
        Assert.Equal(1, store.Refused);
    }

    [Fact]
    public async Task Records_after_the_files_are_closed_are_refused()
    {
        var store = new FlatStoreFiles(Options());
        await store.InsertAsync("acc", ["x"]);
        await store.DisposeAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => store.InsertAsync("acc", ["y"]));
        await Assert.ThrowsAsync<ArgumentException>(() => store.InsertAsync("new", ["y"]));
        await store.DisposeAsync();
        Assert.Equal("x\n", await File.ReadAllTextAsync(Path.Combine(_dir, "acc_n1.log")));
    }

    [Fact]
    public async Task Without_flush_a_disk_that_falls_behind_holds_callers_back_instead_of_growing_memory()
    {
        var files = new FakeFiles { WriteDelay = TimeSpan.FromMilliseconds(20) };
        var writer = new FlatLogWriter(Path.Combine(_dir, "acc_n1.log"), Options(flush: false), files);
        IReadOnlyList<string?>[] block = [.. Enumerable.Repeat<IReadOnlyList<string?>>([new string('x', 1000)], 100)];
        var heldBack = 0;
        for (var i = 0; i < 200; i++)
        {
            var t = writer.AppendAsync(block);
            if (!t.IsCompleted)
            {
                heldBack++;
                await t;
            }
        }
        await writer.DisposeAsync();
        Assert.True(heldBack > 0, "no caller was held back while the disk fell behind");
        Assert.Equal(200L * 100 * 1001, files.Content.Length);
        Assert.Equal(20_000, writer.Written);
    }

    // An in-memory file that runs out of space after FailAfterBytes, and counts fsyncs.
    private sealed class FakeFiles : IFlatFileSystem
    {
        public MemoryStream Content { get; } = new();

        public int FailAfterBytes { get; set; } = int.MaxValue;

        public TimeSpan WriteDelay { get; set; }

        public FakeFile? Last { get; private set; }

        public IFlatFile OpenAppend(string path) => Last = new FakeFile(this);

        public sealed class FakeFile(FakeFiles owner) : IFlatFile
        {
            public int Fsyncs { get; private set; }

            public int Writes { get; private set; }

            public long Length => owner.Content.Length;

            public void Write(ReadOnlySpan<byte> bytes)
            {
                Writes++;
                if (owner.WriteDelay > TimeSpan.Zero)
                    Thread.Sleep(owner.WriteDelay);
                if (owner.Content.Length + bytes.Length > owner.FailAfterBytes)
                {
                    owner.Content.Write(bytes[..(int)Math.Max(0, owner.FailAfterBytes - owner.Content.Length)]);
                    throw new IOException("No space left on device");
                }
                owner.Content.Write(bytes);
            }

            public void Fsync() => Fsyncs++;

            public void Truncate(long length) => owner.Content.SetLength(length);

            public void Dispose()
            {
            }
        }
    }
}
