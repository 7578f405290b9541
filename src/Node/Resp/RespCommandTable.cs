using System.Text;

namespace HTableCluster.Node.Resp;

/// <summary>The commands the endpoint serves, looked up by name without regard to case.</summary>
public sealed class RespCommandTable
{
    private readonly Dictionary<string, RespCommand> _commands = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, RespCommand>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <summary>An empty table.</summary>
    public RespCommandTable() => _lookup = _commands.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Every command family this node serves.</summary>
    public static RespCommandTable CreateDefault()
    {
        var table = new RespCommandTable();
        // One line per command family (each a static class with Register(RespCommandTable)).
        return table;
    }

    /// <summary>All commands, in no particular order.</summary>
    public IEnumerable<RespCommand> All => _commands.Values;

    /// <summary>Adds (or replaces) a command.</summary>
    public void Add(RespCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        _commands[command.Name] = command;
    }

    /// <summary>The command named by <paramref name="name"/> (any case), or null.</summary>
    public RespCommand? Find(ReadOnlySpan<byte> name)
    {
        if (name.Length is 0 or > 64)
            return null;
        Span<char> chars = stackalloc char[name.Length];
        var n = Encoding.Latin1.GetChars(name, chars);
        return _lookup.TryGetValue(chars[..n], out var c) ? c : null;
    }

    /// <summary>The command named <paramref name="name"/> (any case), or null.</summary>
    public RespCommand? Find(string name) => _commands.GetValueOrDefault(name);
}
