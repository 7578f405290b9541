#!/usr/bin/env python3
"""Record what kamcmd prints against Kamailio 5.6's ctl module (BINRPC), stdlib only.

Usage (root, from the repository root):
    python3 tests/Conformance/record_binrpc.py [--out tests/Conformance/kamailio-5.6/binrpc-kamcmd.json]

Starts Kamailio with kamailio-5.6/binrpc.cfg (htable tables a, e, i; ctl on a unix socket and on
TCP; jsonrpcs on a FIFO) in a temporary directory, runs every case with the Debian `kamcmd`
over the unix socket and over TCP (both must print the same), and writes
{server, tables, cases:[{name, steps:[{args, stdout, stderr, exit}]}], kamctl_cases: the same for
`kamctl rpc` over jsonrpcs' FIFO (RPCFIFOPATH)}. Tables a, e, i are flushed
before each case (not recorded). HTableCluster's BinRpcKamcmdTests replays the file against a node
with the same tables and compares kamcmd's output line by line.
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

# name -> list of kamcmd argument lists (after `-s ADDRESS`).
CASES = [
    ("sets then get", [["htable.sets", "a", "k1", "hello"], ["htable.get", "a", "k1"]]),
    ("sets a number string with s:", [["htable.sets", "a", "k1", "s:123"], ["htable.get", "a", "k1"]]),
    ("sets an int value (autoconverted to its text)", [["htable.sets", "a", "k1", "42"], ["htable.get", "a", "k1"]]),
    ("sets with a spaced value", [["htable.sets", "a", "k 1", "hello world"], ["htable.get", "a", "k 1"]]),
    ("sets utf-8", [["htable.sets", "a", "clé", "é😀"], ["htable.get", "a", "clé"]]),
    ("seti then get", [["htable.seti", "a", "n", "42"], ["htable.get", "a", "n"]]),
    ("seti a number given as a string", [["htable.seti", "a", "n", "s:12"], ["htable.get", "a", "n"]]),
    ("seti a string that is not a number", [["htable.seti", "a", "n", "s:12x"], ["htable.get", "a", "n"]]),
    ("seti a double is truncated", [["htable.seti", "a", "n", "2.75"], ["htable.get", "a", "n"]]),
    ("sets a double value is refused", [["htable.sets", "a", "f", "1.5"], ["htable.get", "a", "f"]]),
    ("setex with a string expire", [["htable.sets", "a", "k1", "v"], ["htable.setex", "a", "k1", "s:100"]]),
    ("seti beyond 32 bits wraps in kamcmd", [["htable.seti", "a", "big", "3000000000"], ["htable.get", "a", "big"]]),
    ("get missing key", [["htable.get", "a", "nokey"]]),
    ("get missing table", [["htable.get", "nosuch", "k"]]),
    ("get without key", [["htable.get", "a"]]),
    ("get with an int key", [["htable.get", "a", "5"]]),
    ("sets missing value", [["htable.sets", "a", "k1"]]),
    ("sets missing table", [["htable.sets", "nosuch", "k1", "v"]]),
    ("dump two items", [["htable.sets", "a", "k1", "hello"], ["htable.seti", "a", "k2", "7"], ["htable.dump", "a"]]),
    ("dump one slot with three items", [["htable.sets", "i", "x1", "1"], ["htable.sets", "i", "x2", "2"], ["htable.sets", "i", "x3", "3"], ["htable.sets", "i", "x4", "4"], ["htable.sets", "i", "x5", "5"], ["htable.dump", "i"]]),
    ("dump empty table", [["htable.dump", "e"]]),
    ("dump missing table", [["htable.dump", "nosuch"]]),
    ("dump without table", [["htable.dump"]]),
    ("stats", [["htable.sets", "a", "k1", "v"], ["htable.seti", "i", "n", "3"], ["htable.stats"]]),
    ("listTables", [["htable.listTables"]]),
    ("delete", [["htable.sets", "a", "k1", "v"], ["htable.delete", "a", "k1"], ["htable.delete", "a", "k1"], ["htable.get", "a", "k1"]]),
    ("delete missing table", [["htable.delete", "nosuch", "k1"]]),
    ("flush", [["htable.sets", "a", "k1", "v"], ["htable.sets", "a", "k2", "v"], ["htable.flush", "a"], ["htable.dump", "a"]]),
    ("flush missing table", [["htable.flush", "nosuch"]]),
    ("setex", [["htable.sets", "a", "k1", "v"], ["htable.setex", "a", "k1", "100"]]),
    ("setxs and setxi with string numbers", [["htable.setxs", "a", "k1", "v", "s:100"], ["htable.setxi", "a", "k2", "s:5", "100"], ["htable.setxi", "a", "k3", "5", "s:100"]]),
    ("setxs and setxi answers", [["htable.setxs", "a", "k1", "v", "100"], ["htable.setxi", "a", "k2", "5", "100"]]),
    ("methodHelp", [["system.methodHelp", "htable.get"], ["system.methodHelp", "htable.dump"], ["system.methodHelp", "no.such"]]),
    ("unknown command", [["no.such"]]),
]


def kamcmd(address, args):
    p = subprocess.run(["kamcmd", "-s", address] + args, capture_output=True, timeout=20)
    return {"stdout": p.stdout.decode("utf-8", "replace"), "stderr": p.stderr.decode("utf-8", "replace"), "exit": p.returncode}


# kamctl rpc over jsonrpcs' FIFO (RPCFIFOPATH): name -> steps; the "id" line is kamctl's pid.
KAMCTL_CASES = [
    ("kamctl dump", [["htable.sets", "a", "k1", "hello"], ["htable.seti", "a", "k2", "7"], ["htable.dump", "a"]]),
    ("kamctl get and errors", [["htable.sets", "a", "k1", "x y"], ["htable.get", "a", "k1"], ["htable.get", "a", "nokey"], ["htable.dump", "nosuch"], ["no.such"]]),
    ("kamctl stats and listTables", [["htable.stats"], ["htable.listTables"]]),
    ("kamctl empty dump and flush", [["htable.dump", "e"], ["htable.flush", "a"]]),
]


def kamctl(fifo, args):
    env = dict(os.environ, RPCFIFOPATH=fifo)
    p = subprocess.run(["kamctl", "rpc"] + args, capture_output=True, timeout=20, env=env)
    return {"stdout": p.stdout.decode("utf-8", "replace"), "stderr": p.stderr.decode("utf-8", "replace"), "exit": p.returncode}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "kamailio-5.6", "binrpc-kamcmd.json"))
    ap.add_argument("--sip-port", type=int, default=25990)
    ap.add_argument("--tcp-port", type=int, default=25991)
    a = ap.parse_args()
    run = tempfile.mkdtemp(prefix="kam-binrpc-")
    cfg = open(os.path.join(HERE, "kamailio-5.6", "binrpc.cfg")).read()
    cfg = cfg.replace("@RUN_DIR@", run).replace("@SIP_PORT@", str(a.sip_port)).replace("@CTL_TCP_PORT@", str(a.tcp_port))
    with open(os.path.join(run, "kamailio.cfg"), "w") as f:
        f.write(cfg)
    log = open(os.path.join(run, "kamailio.log"), "w")
    kam = subprocess.Popen(["kamailio", "-DD", "-E", "-f", os.path.join(run, "kamailio.cfg"), "-w", run, "-m", "64", "-M", "8"],
                           stdout=log, stderr=log)
    unix = "unix:" + os.path.join(run, "kamailio_ctl")
    tcp = "tcp:127.0.0.1:%d" % a.tcp_port
    try:
        for _ in range(100):
            if kamcmd(unix, ["core.version"])["exit"] == 0:
                break
            time.sleep(0.1)
        version = kamcmd(unix, ["core.version"])
        if version["exit"] != 0:
            log.flush()
            sys.exit("Kamailio did not start: " + version["stderr"] + open(os.path.join(run, "kamailio.log")).read()[-2000:])
        server = version["stdout"].strip()
        cases = []
        for name, steps in CASES:
            recorded = []
            for address in (unix, tcp):
                for t in ("a", "e", "i"):
                    kamcmd(address, ["htable.flush", t])
                outs = [dict(args=s, **kamcmd(address, s)) for s in steps]
                if address == unix:
                    recorded = outs
                elif outs != recorded:
                    sys.exit("case %r: TCP and unix answers differ:\n%r\n%r" % (name, recorded, outs))
            cases.append({"name": name, "steps": recorded})
            print("recorded", name)
        fifo = os.path.join(run, "kamailio_rpc.fifo")
        kamctl_cases = []
        for name, steps in KAMCTL_CASES:
            for t in ("a", "e", "i"):
                kamcmd(unix, ["htable.flush", t])
            kamctl_cases.append({"name": name, "steps": [dict(args=s, **kamctl(fifo, s)) for s in steps]})
            print("recorded", name)
        with open(a.out, "w") as f:
            json.dump({"server": server, "tables": TABLES, "cases": cases, "kamctl_cases": kamctl_cases}, f, indent=1, ensure_ascii=False)
            f.write("\n")
    finally:
        kam.send_signal(signal.SIGTERM)
        kam.wait(timeout=20)
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    main()
