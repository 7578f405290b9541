using System.CommandLine;
using HTableCluster.Node;
using HTableCluster.Node.Configuration;

var root = new RootCommand("htcluster: replicated htable cache node (Kamailio htable compatible)");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(RpcCommand.Create());
root.Subcommands.Add(DbCommand.Create());
return await root.Parse(args).InvokeAsync();
