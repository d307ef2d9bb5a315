#!/usr/bin/env python3
"""Soak test of the real xdsd daemon (not run in CI).

Starts `xdsd serve` on a config file and, for --minutes (default 30):
  - 1,000 healthy Envoy-like ADS clients (bench/loadgen, in --groups processes of equal size,
    each client its own TCP connection), plus slow readers (subscribe, never read: they hit
    --send-timeout) and clients that NACK everything, through loadgen's own fractions;
  - config churn: every --churn-s seconds the endpoints of every cluster change (a new EDS and
    CDS version) and the file is replaced as an editor saves it;
  - random kills: after every change one loadgen process is killed (SIGKILL) and started again;
  - hostile clients: raw TCP connections that send garbage, and HTTP/2 streams that open an ADS
    call and never send a request (they hit --first-request-timeout).
After each change it waits up to --converge-s for every connected healthy node ("envoy-*") to
have ACKed the new CDS and EDS versions, and prints one line: the time, xdsd's RSS, the open
streams, whether every healthy client converged and how long it took, and the refusals counted.

  bench/soak.py --build-dir build [--minutes 30] [--clients 1000] [--churn-s 30]
Exit status 1 when a change did not converge or xdsd died.
"""
import argparse
import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
EDS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
ADS_PATH = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"


def config_text(generation, clusters):
    """Clusters (EDS over ADS) and their endpoints; the endpoints' port changes every generation."""
    out = ["resources:", "  clusters:"]
    for c in range(clusters):
        out += [f"  - name: cluster-{c}", "    connect_timeout: 1s", "    type: EDS",
                "    eds_cluster_config: {eds_config: {ads: {}}}"]
    out.append("  endpoints:")
    for c in range(clusters):
        out += [f"  - cluster_name: cluster-{c}", "    endpoints:", "    - lb_endpoints:"]
        for e in range(3):
            port = 10000 + (generation * 7 + e) % 50000
            out.append(f"      - endpoint: {{address: {{socket_address: "
                       f"{{address: 10.0.{c % 250}.{e + 1}, port_value: {port}}}}}}}")
    return "\n".join(out) + "\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def replace_file(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.rename(path + ".new", path)


def http_json(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return json.loads(response.read())


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def hpack_literal(name, value):
    """A header as an HPACK literal without indexing, new name (names and values < 127 bytes)."""
    return bytes([0, len(name)]) + name + bytes([len(value)]) + value


def silent_ads_stream(port):
    """An HTTP/2 connection with one ADS call that never sends a request."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + struct.pack(">I", 0)[1:] + b"\x04\x00" +
              struct.pack(">I", 0))  # the preface, an empty SETTINGS frame
    block = b"".join(hpack_literal(n, v) for n, v in [
        (b":method", b"POST"), (b":scheme", b"http"), (b":path", ADS_PATH.encode()),
        (b":authority", b"soak"), (b"content-type", b"application/grpc"), (b"te", b"trailers")])
    s.sendall(struct.pack(">I", len(block))[1:] + b"\x01\x04" + struct.pack(">I", 1) + block)
    return s


def garbage_connection(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(os.urandom(4096))
    except OSError:
        pass
    return s


def converged(http_port, previous):
    """(all converged, healthy nodes, versions): every connected envoy-* node ACKed the same CDS
    and EDS versions, which differ from `previous`."""
    nodes = [n for n in http_json(http_port, "/v1/nodes?connected=true")
             if n["id"].startswith("envoy-")]
    versions = set()
    for node in nodes:
        types = {t["type_url"]: t for t in node["types"]}
        for type_url in (CDS, EDS):
            t = types.get(type_url)
            if t is None or t["state"] != "SYNCED":
                return False, len(nodes), None
            versions.add((type_url, t["version_acked"]))
    if len(versions) != 2 or versions == previous:
        return False, len(nodes), None
    return True, len(nodes), versions


def refusals(http_port):
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=10) as r:
        text = r.read().decode()
    found = re.findall(r'xdsd_refused_total\{reason="([a-z_]+)"\} (\d+)', text)
    return ",".join(f"{k}={v}" for k, v in found) or "none"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", default="build")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--churn-s", type=float, default=30)
    parser.add_argument("--converge-s", type=float, default=60)
    parser.add_argument("--hostile", type=int, default=5, help="silent streams and garbage sockets")
    args = parser.parse_args()
    xdsd_bin = os.path.join(args.build_dir, "src/cli/xdsd")
    loadgen_bin = os.path.join(args.build_dir, "bench/loadgen")
    work = tempfile.mkdtemp(prefix="xdsd_soak_")
    config = os.path.join(work, "config.yaml")
    generation = 0
    replace_file(config, config_text(generation, args.clusters))

    log = open(os.path.join(work, "xdsd.log"), "w")
    xds_port, http_port = free_port(), free_port()
    xdsd = subprocess.Popen([xdsd_bin, "serve", f"--config={config}", f"--xds-port={xds_port}",
                             f"--http-port={http_port}", "--log-level=warn",
                             "--first-request-timeout=5s", "--send-timeout=10s"],
                            stderr=subprocess.STDOUT, stdout=log)
    deadline = time.time() + 60
    while True:
        try:
            http_json(http_port, "/v1/config")
            break
        except OSError:
            if time.time() > deadline or xdsd.poll() is not None:
                print("xdsd did not start; log in", log.name)
                return 1
            time.sleep(0.2)  # polling a process just started

    per_group = args.clients // args.groups
    def start_group(g):
        return subprocess.Popen(
            [loadgen_bin, "--target", f"127.0.0.1:{xds_port}", "--clients", str(per_group),
             "--first-index", str(g * per_group), "--slow-fraction", "0.01",
             "--nack-fraction", "0.01", "--routes", "0"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    groups = [start_group(g) for g in range(args.groups)]
    hostile = []

    print(f"soak: xdsd pid {xdsd.pid}, {args.clients} clients in {args.groups} processes, "
          f"{args.clusters} clusters, a change every {args.churn_s:.0f} s, for "
          f"{args.minutes:g} min; work dir {work}")
    print("t_s  rss_mb  open_streams  healthy_nodes  converged  converge_s  refusals")
    start = time.time()
    previous = None
    failures = 0
    rss = []
    while time.time() - start < args.minutes * 60:
        if xdsd.poll() is not None:
            print("xdsd exited with", xdsd.returncode)
            return 1
        # The change, a kill, new hostile clients.
        generation += 1
        replace_file(config, config_text(generation, args.clusters))
        changed = time.time()
        victim = random.randrange(args.groups)
        groups[victim].kill()
        groups[victim].wait()
        groups[victim] = start_group(victim)
        for s in hostile:
            s.close()
        hostile = []
        for _ in range(args.hostile):
            try:
                hostile.append(silent_ads_stream(xds_port))
                hostile.append(garbage_connection(xds_port))
            except OSError:
                pass
        ok, nodes, versions = False, 0, None
        while time.time() - changed < args.converge_s:
            try:
                ok, nodes, versions = converged(http_port, previous)
            except OSError:
                ok = False
            # Every healthy client of the killed group must be back too.
            if ok and nodes >= args.clients * 0.98 - per_group * 0.02:
                break
            ok = False
            time.sleep(0.5)  # polling the daemon's status, at a rate that costs it little
        took = time.time() - changed
        if ok:
            previous = versions
        else:
            failures += 1
        metrics = http_json(http_port, "/v1/config")
        rss.append(rss_mb(xdsd.pid))
        open_streams = sum(n["open_streams"] for n in http_json(http_port, "/v1/nodes?connected=true"))
        print(f"{time.time() - start:5.0f}  {rss[-1]:6.1f}  {open_streams:12d}  {nodes:13d}  "
              f"{'yes' if ok else 'NO':>9}  {took:10.1f}  {refusals(http_port)}"
              f"  (config {metrics['version'][:12]})", flush=True)
        rest = args.churn_s - (time.time() - changed)
        if rest > 0:
            time.sleep(rest)  # the churn interval itself, not a wait for a condition

    for g in groups:
        g.kill()
    xdsd.send_signal(signal.SIGTERM)
    xdsd.wait(timeout=30)
    print(f"soak: {len(rss)} changes, {failures} not converged; RSS first {rss[0]:.1f} MB, "
          f"max {max(rss):.1f} MB, last {rss[-1]:.1f} MB")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
