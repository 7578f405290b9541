using System.Text;
using System.Text.Json;
using HTableCluster.Node.Admin;

namespace HTableCluster.Node.Tests.Admin;

/// <summary>How the FIFO's byte stream is cut into requests (as jsonrpcs reads it), and srjson's layout.</summary>
public sealed class JsonDocumentSplitterTests
{
    private static (List<string> Documents, int Skipped) Split(int max, params string[] chunks)
    {
        var splitter = new JsonDocumentSplitter(max);
        var documents = new List<string>();
        var skipped = 0;
        foreach (var chunk in chunks)
            splitter.Feed(Encoding.UTF8.GetBytes(chunk), d => documents.Add(Encoding.UTF8.GetString(d)), () => skipped++);
        return (documents, skipped);
    }

    [Fact]
    public void Documents_end_at_their_closing_brace_whatever_the_chunks()
    {
        var (documents, skipped) = Split(100, "\n{\"a\": \"}{\", \"b\": {\"c\": 'x}'}}", "  {\"d\"", ": \"\\\"}\"}\n");
        Assert.Equal(["{\"a\": \"}{\", \"b\": {\"c\": 'x}'}}", "{\"d\": \"\\\"}\"}"], documents);
        Assert.Equal(0, skipped);
    }

    [Fact]
    public void An_oversized_document_is_skipped_whole_and_the_next_one_is_read()
    {
        var (documents, skipped) = Split(32, "{\"v\": \"" + new string('x', 100) + "\"}", "{\"ok\": 1}");
        Assert.Equal(["{\"ok\": 1}"], documents);
        Assert.Equal(1, skipped);
    }

    [Fact]
    public void Srjson_layout_tabs_members_and_keeps_arrays_on_one_line()
    {
        using var doc = JsonDocument.Parse("""{"a":[{"x":1,"y":"q\"\n\u0001é"},2.5,3000000000],"b":{},"c":[]}""");
        Assert.Equal("{\n\t\"a\":\t[{\n\t\t\t\"x\":\t1,\n\t\t\t\"y\":\t\"q\\\"\\n\\u0001é\"\n\t\t}, 2.500000, 3000000000],\n\t\"b\":\t{\n\t},\n\t\"c\":\t[]\n}",
            SrJsonText.Print(doc.RootElement));
    }
}
