#!/usr/bin/env python3
"""Record what kamcli prints against Kamailio 5.6's jsonrpcs datagram socket, stdlib only.

Usage (root, from the repository root):
    python3 tests/Conformance/record_kamcli.py [--out tests/Conformance/kamailio-5.6/jsonrpc-kamcli.json]

Starts Kamailio with kamailio-5.6/jsonrpc-dgram.cfg (htable tables a, e, i; jsonrpcs' dgram_socket on
a unix socket; ctl for flushing) in a temporary directory and runs every case with Debian's kamcli
2.0.0 (`kamcli --no-default-configs -c INI rpc METHOD PARAMS...`; kamcli 2.0.0 has no `htable`
command group and no TCP transport, so its generic `rpc` command carries the htable methods) with
outformat raw (srjson's text as received) and yaml (kamcli's default), and writes
{server, kamcli, tables, cases:[{name, format, steps:[{args, stdout, stderr, exit}]}]}.
Tables a, e, i are flushed before each case (not recorded). HTableCluster's JsonRpcKamcliTests
replays the file against a node over its datagram socket and over TCP and compares line by line
(the "id" line carries kamcli's random id).
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TABLES = [
    "a=>size=8;autoexpire=0;dmqreplicate=1",
    "e=>size=8;autoexpire=5;dmqreplicate=1",
    "i=>size=4;initval=7;dmqreplicate=1",
]
FORMATS = ["raw", "yaml"]

# name -> list of kamcli argument lists (after `-c INI`): sets/get/list (dump)/rm (delete).
CASES = [
    ("sets then get", [["rpc", "htable.sets", "a", "k1", "hello"], ["rpc", "htable.get", "a", "k1"]]),
    ("seti with i: then get", [["rpc", "htable.seti", "a", "n", "i:42"], ["rpc", "htable.get", "a", "n"]]),
    ("sets with a spaced value", [["rpc", "htable.sets", "a", "k 1", "hello world"], ["rpc", "htable.get", "a", "k 1"]]),
    ("get missing key", [["rpc", "htable.get", "a", "nokey"]]),
    ("get missing table", [["rpc", "htable.get", "nosuch", "k"]]),
    ("list two items", [["rpc", "htable.sets", "a", "k1", "hello"], ["rpc", "htable.seti", "a", "k2", "i:7"], ["rpc", "htable.dump", "a"]]),
    ("list empty table", [["rpc", "htable.dump", "e"]]),
    ("list missing table", [["rpc", "htable.dump", "nosuch"]]),
    ("rm", [["rpc", "htable.sets", "a", "k1", "v"], ["rpc", "htable.delete", "a", "k1"], ["rpc", "htable.get", "a", "k1"]]),
    ("rm missing table", [["rpc", "htable.delete", "nosuch", "k1"]]),
    ("listTables", [["rpc", "htable.listTables"]]),
    ("stats", [["rpc", "htable.sets", "a", "k1", "v"], ["rpc", "htable.stats"]]),
    ("unknown command", [["rpc", "no.such"]]),
]

INI = """[main]
domain=test.com

[jsonrpc]
transport=socket
path=/run/kamailio/kamailio_rpc.fifo
rplnamebase=kamailio_rpc_reply.fifo
rpldir=/tmp
srvaddr={srvaddr}
rcvaddr={rcvaddr}
outformat={outformat}
"""


def write_ini(directory, srvaddr, outformat):
    path = os.path.join(directory, "kamcli-%s.ini" % outformat)
    with open(path, "w") as f:
        f.write(INI.format(srvaddr=srvaddr, rcvaddr=os.path.join(directory, "kamcli_reply.sock"), outformat=outformat))
    return path


def kamcli(ini, args):
    p = subprocess.run(["kamcli", "--no-default-configs", "-c", ini] + args, capture_output=True, timeout=30)
    return {"stdout": p.stdout.decode("utf-8", "replace"), "stderr": p.stderr.decode("utf-8", "replace"), "exit": p.returncode}


def kamcmd(address, args):
    return subprocess.run(["kamcmd", "-s", address] + args, capture_output=True, timeout=20)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "kamailio-5.6", "jsonrpc-kamcli.json"))
    ap.add_argument("--sip-port", type=int, default=25992)
    a = ap.parse_args()
    run = tempfile.mkdtemp(prefix="kam-kamcli-")
    cfg = open(os.path.join(HERE, "kamailio-5.6", "jsonrpc-dgram.cfg")).read()
    cfg = cfg.replace("@RUN_DIR@", run).replace("@SIP_PORT@", str(a.sip_port))
    with open(os.path.join(run, "kamailio.cfg"), "w") as f:
        f.write(cfg)
    log = open(os.path.join(run, "kamailio.log"), "w")
    kam = subprocess.Popen(["kamailio", "-DD", "-E", "-f", os.path.join(run, "kamailio.cfg"), "-w", run, "-m", "64", "-M", "8"],
                           stdout=log, stderr=log)
    ctl = "unix:" + os.path.join(run, "kamailio_ctl")
    sock = os.path.join(run, "kamailio_rpc.sock")
    try:
        for _ in range(100):
            if kamcmd(ctl, ["core.version"]).returncode == 0 and os.path.exists(sock):
                break
            time.sleep(0.1)
        version = kamcmd(ctl, ["core.version"])
        if version.returncode != 0:
            log.flush()
            sys.exit("Kamailio did not start: " + open(os.path.join(run, "kamailio.log")).read()[-2000:])
        server = version.stdout.decode().strip()
        client = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "kamcli"], capture_output=True).stdout.decode()
        cases = []
        for outformat in FORMATS:
            ini = write_ini(run, sock, outformat)
            for name, steps in CASES:
                for t in ("a", "e", "i"):
                    kamcmd(ctl, ["htable.flush", t])
                cases.append({"name": name, "format": outformat, "steps": [dict(args=s, **kamcli(ini, s)) for s in steps]})
                print("recorded", outformat, name)
        with open(a.out, "w") as f:
            json.dump({"server": server, "kamcli": client, "tables": TABLES, "cases": cases}, f, indent=1, ensure_ascii=False)
            f.write("\n")
    finally:
        kam.send_signal(signal.SIGTERM)
        kam.wait(timeout=20)
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    main()
