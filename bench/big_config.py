#!/usr/bin/env python3
"""Memory and time of one very large config reload (not run in CI).

Starts `xdsd serve` on a small config (one static cluster), then replaces the file, as an
editor saves it, by a config of --clusters static clusters (221,000 by default: about 55 MB of
YAML), waits until /v1/config reports the reload, and then goes back to the small config. It
prints, for each step: the time from the save to the reload seen on /v1/config, xdsd's resident
memory (VmRSS) once it settled, and its peak (VmHWM) so far. No client is connected: this is the
cost of loading, validating and publishing a config, and what is kept of it afterwards.

  bench/big_config.py --build-dir build [--clusters 221000] [--timeout-s 300]
  bench/big_config.py --write big.json [--clusters 221000]   # only write the config (.json:
                                                              # the same clusters as JSON)
Exit status 1 when a reload was not seen in time or xdsd died.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SMALL = """resources:
  clusters:
  - name: small
    connect_timeout: 1s
    type: STATIC
"""


def big_config(clusters):
    """Static clusters, each with one endpoint: about 250 bytes of YAML a cluster."""
    out = ["resources:", "  clusters:"]
    for c in range(clusters):
        name = f"svc-{c:06d}.internal"
        address = f"10.{c >> 16 & 255}.{c >> 8 & 255}.{c & 255}"
        out += [f"  - name: {name}",
                "    connect_timeout: 1s",
                "    type: STATIC",
                "    load_assignment:",
                f"      cluster_name: {name}",
                "      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: "
                f"{{address: {address}, port_value: 8080}}}}}}}}]}}]"]
    return "\n".join(out) + "\n"


def big_config_json(clusters):
    """The clusters of big_config, as one JSON file (one cluster a line)."""
    lines = []
    for c in range(clusters):
        name = f"svc-{c:06d}.internal"
        address = f"10.{c >> 16 & 255}.{c >> 8 & 255}.{c & 255}"
        cluster = {"name": name, "connect_timeout": "1s", "type": "STATIC",
                   "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [
                       {"endpoint": {"address": {"socket_address": {
                           "address": address, "port_value": 8080}}}}]}]}}
        lines.append(json.dumps(cluster, separators=(",", ":")))
    return '{"resources": {"clusters": [\n' + ",\n".join(lines) + "\n]}}\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def replace_file(path, text):
    with open(path + ".next", "w") as f:
        f.write(text)
    os.rename(path + ".next", path)


def config_status(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/config", timeout=10) as answer:
        return json.load(answer)


def memory_mb(pid):
    """VmRSS and VmHWM (the peak resident size) of `pid`, in MB."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(value.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def settled_rss(pid, seconds=3.0):
    """The resident size once it stops falling (freed memory is handed back after a reload)."""
    deadline = time.monotonic() + seconds
    rss = memory_mb(pid)[0]
    while time.monotonic() < deadline:
        time.sleep(0.25)
        rss = min(rss, memory_mb(pid)[0])
    return rss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default="build")
    parser.add_argument("--clusters", type=int, default=221000)
    parser.add_argument("--timeout-s", type=float, default=300)
    parser.add_argument("--write", help="only write the config to this file (.json: as JSON)")
    parser.add_argument("--history-size", type=int,
                        help="xdsd's --history-size (revisions kept for rollback hold their "
                             "configs: 1 shows what the loader alone keeps)")
    args = parser.parse_args()
    if args.write:
        as_json = args.write.endswith(".json")
        with open(args.write, "w") as f:
            f.write(big_config_json(args.clusters) if as_json else big_config(args.clusters))
        return 0
    xdsd_bin = os.path.join(args.build_dir, "src", "cli", "xdsd")

    with tempfile.TemporaryDirectory(prefix="xdsd-big-") as work:
        config = os.path.join(work, "config.yaml")
        replace_file(config, SMALL)
        http_port = free_port()
        xdsd = subprocess.Popen([xdsd_bin, "serve", f"--config={config}", "--xds-port=0",
                                 f"--http-port={http_port}", "--log-level=warn",
                                 # Replacing the one cluster by others removes all that is
                                 # served: meant here.
                                 "--max-removal=100%"] +
                                ([f"--history-size={args.history_size}"]
                                 if args.history_size else []))
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    status = config_status(http_port)
                    break
                except OSError:
                    if time.monotonic() > deadline or xdsd.poll() is not None:
                        print("xdsd did not start", file=sys.stderr)
                        return 1
                    time.sleep(0.1)
            rss, peak = memory_mb(xdsd.pid)
            print(f"start: small config, RSS {rss:.0f} MB, peak {peak:.0f} MB")

            big = big_config(args.clusters)
            print(f"big config: {args.clusters} clusters, {len(big) / 1e6:.1f} MB of YAML")
            for name, text in (("big", big), ("back to small", SMALL)):
                before = status["reloads_succeeded"]
                failed = status["reloads_failed"]
                saved = time.monotonic()
                replace_file(config, text)
                while status["reloads_succeeded"] == before:
                    if status["reloads_failed"] != failed:
                        print(f"{name}: refused: {status['last_error']}", file=sys.stderr)
                        return 1
                    if time.monotonic() - saved > args.timeout_s or xdsd.poll() is not None:
                        print(f"{name}: no reload within {args.timeout_s} s", file=sys.stderr)
                        return 1
                    time.sleep(0.1)
                    try:
                        status = config_status(http_port)
                    except OSError:
                        pass  # busy reloading; ask again
                took = time.monotonic() - saved
                rss = settled_rss(xdsd.pid)
                peak = memory_mb(xdsd.pid)[1]
                error = status.get("last_error")
                print(f"{name}: reloaded in {took:.1f} s, RSS {rss:.0f} MB, peak so far "
                      f"{peak:.0f} MB{', error: ' + error['message'][:200] if error else ''}")
        finally:
            xdsd.terminate()
            xdsd.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
