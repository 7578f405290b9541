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
        ConnectionCommands.Register(table);
        ClientCommand.Register(table);
        ServerCommands.Register(table);
        StringCommands.Register(table);
        KeyCommands.Register(table);
        ExpiryCommands.Register(table);
        HashCommands.Register(table);
        PubSubCommands.Register(table);
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

    /// <summary>The parameters CONFIG GET and CONFIG SET know, by lower-case name.</summary>
    public IReadOnlyDictionary<string, RespConfigParameter> Parameters => _parameters;

    private readonly Dictionary<string, RespConfigParameter> _parameters = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Adds (or replaces) a CONFIG parameter; a family registers those it reads.</summary>
    public void AddParameter(RespConfigParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        _parameters[parameter.Name] = parameter;
    }
}

/// <summary>
/// A CONFIG parameter: its name (lower case), the value it starts with, and how a new value is
/// checked and put in canonical form (<paramref name="Normalize"/> returns the value to store, or
/// throws <see cref="FormatException"/> whose message is Redis's reason; null: stored as given, and
/// <paramref name="ReadOnly"/> refuses CONFIG SET as Redis does for immutable parameters).
/// </summary>
public sealed record RespConfigParameter(string Name, string Default, Func<string, string>? Normalize = null, bool ReadOnly = false);
