using System.CommandLine;
using HTableCluster.Node;
using HTableCluster.Node.Configuration;

var root = new RootCommand("htcluster: replicated htable cache node (Kamailio htable compatible)");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(RpcCommand.Create());
root.Subcommands.Add(DbCommand.Create());
var parse = root.Parse(args);
// A command-line mistake exits 64 (sysexits' EX_USAGE), apart from every command's own codes
// (rpc's 1 is an error reply, serve's 2 bad configuration).
if (parse.Errors.Count > 0 && parse.Action is System.CommandLine.Invocation.ParseErrorAction)
{
    await parse.InvokeAsync();
    return RpcCommand.Usage;
}
return await parse.InvokeAsync();
