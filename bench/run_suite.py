#!/usr/bin/env python3
"""Runs the xdsd benchmark suite (docs/benchmarks.md) and prints one table.

Every server (the raw floor, xdsd, the go-control-plane peer) is driven the same way: started with
the same workload flags, its stdin taking the control commands of bench/common/control.h, the load
generator (bench/loadgen) in a separate process. With --pin (default when the machine has two or
more cores) the server runs on core 0 and the load generator on core 1 (taskset); one W2 run of
xdsd is also made unpinned.

  run_suite.py --build-dir build-bench [--clients 100,1000] [--clusters 1000] [--churn-s 60]
               [--json out.json] [--smoke] [--procs K] [--mode sotw|delta] [--fleet-only]
               [--kinds floor,xdsd,peer] [--w8 N]

--procs K runs the load generator as K processes (unpinned when K > 1); every fleet result
keeps the load generator's CPU seconds over W1 and over W2 (loadgen_w1_cpu_s, loadgen_w2_cpu_s).
--w8 N adds W8: xdsd serving the workload from a JSON config file, one endpoint change written
to the file per update, reload included, to N clients.
--kinds may name xdsd-before: the xdsd bench server of --before-build-dir (a build of an earlier
commit), for a before/after comparison in one run.
--perf DIR runs each xdsd server under `perf record` (cpu-clock, 499 Hz): DIR/<kind>-<N>.data.<time>,
one file for W1 (the connect storm) and one for what follows (W4, W2); read them with
`perf report -i FILE --no-children --sort dso,symbol`.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class Proc:
    """A child process driven line by line through stdin/stdout."""

    def __init__(self, argv, cpu=None, name=""):
        if cpu is not None and shutil.which("taskset"):
            argv = ["taskset", "-c", str(cpu)] + argv
        self.name = name
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.lines = []
        self.cv = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.p.stdout:
            with self.cv:
                self.lines.append(line.strip())
                self.cv.notify_all()

    def expect(self, prefix, timeout=300):
        deadline = time.time() + timeout
        with self.cv:
            while True:
                for i, line in enumerate(self.lines):
                    if line.startswith(prefix):
                        del self.lines[: i + 1]
                        return parse(line)
                left = deadline - time.time()
                if left <= 0 or self.p.poll() is not None:
                    raise RuntimeError(f"{self.name}: no '{prefix}' line (got {self.lines[-3:]})")
                self.cv.wait(min(left, 1))

    def cmd(self, line, reply, timeout=300):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self.expect(reply, timeout)

    def stop(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass
        try:
            self.p.wait(30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def parse(line):
    out = {}
    for token in line.split()[1:]:
        if "=" in token:
            k, v = token.split("=", 1)
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def server_argv(args, kind, port, clusters):
    flags = ["--port", str(port), "--clusters", str(clusters), "--endpoints", "10"]
    if kind == "xdsd":
        return [os.path.join(args.build_dir, "bench", "xdsd_bench_server")] + flags
    if kind == "xdsd-before":  # the same bench server built from an earlier commit
        return [os.path.join(args.before_build_dir, "bench", "xdsd_bench_server")] + flags
    if kind in ("xdsd-file", "xdsd-before-file"):  # W8: through the config file
        path = os.path.join("/tmp", f"xdsd_bench_w8_{os.getpid()}_{port}.json")
        build = args.before_build_dir if kind == "xdsd-before-file" else args.build_dir
        return [os.path.join(build, "bench", "xdsd_bench_server"), "--config-file", path] + flags
    if kind == "floor":
        return [os.path.join(args.build_dir, "bench", "floor_server")] + flags
    return [args.peer_binary] + ["-port", str(port), "-clusters", str(clusters), "-endpoints", "10"]


def free_port():
    """A TCP port nothing listens on now (the kernel's pick), not a fixed one: another xdsd or
    test may hold any given port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(args, kind, clusters, pin, clients=0):
    port = free_port()
    argv = server_argv(args, kind, port, clusters)
    if args.perf and kind.startswith("xdsd"):
        os.makedirs(args.perf, exist_ok=True)
        # SIGUSR2 to perf starts a new file: W1 and W2 are profiled apart.
        argv = ["perf", "record", "-q", "-e", "cpu-clock", "-F", "499", "--switch-output=signal",
                "-o", os.path.join(args.perf, f"{kind}-{clients}.data"), "--"] + argv
    server = Proc(argv, cpu=0 if pin else None, name=kind)
    server.expect("ready", 120)
    return server, port


def start_loadgen(args, port, clients, pin, extra=()):
    argv = [os.path.join(args.build_dir, "bench", "loadgen"), "--target", f"127.0.0.1:{port}",
            "--clients", str(clients), "--procs", str(args.procs), "--mode", args.mode] + list(extra)
    if args.channels:  # clients share this many HTTP/2 connections (default: one each)
        argv += ["--channels", str(args.channels)]
    lg = Proc(argv, cpu=1 if pin and args.procs == 1 else None, name="loadgen")
    lg.expect("loadgen starting", 60)
    return lg


def run_fleet(args, kind, clients, clusters, pin, updates, slow=0.0, nack=0.0):
    """W1 (connect storm), W4 (idle memory) and W2 (small change fan-out) in one run."""
    server, port = start_server(args, kind, clusters, pin, clients)
    empty = server.cmd("stats", "stats")
    extra = []
    if slow or nack:
        extra = ["--slow-fraction", str(slow), "--nack-fraction", str(nack)]
    lg = start_loadgen(args, port, clients, pin, extra)
    counted = clients - int(clients * slow) - int(clients * nack)
    result = {"server": kind, "clients": clients, "clusters": clusters, "pinned": pin,
              "procs": args.procs, "mode": args.mode}
    try:
        storm = server.cmd(f"wait-synced {counted} {args.timeout}", "synced", args.timeout + 30)
        if args.perf and kind.startswith("xdsd"):
            os.kill(server.p.pid, signal.SIGUSR2)
        after = server.cmd("stats", "stats")
        lg_synced = lg.cmd("stats", "loadgen clients")
        result["loadgen_w1_cpu_s"] = lg_synced["cpu_s"]
        result.update(w1_ms=storm["ms"], w1_ok=storm["ok"], w1_cpu_s=after["cpu_s"] - empty["cpu_s"],
                      w1_peak_rss_mb=after["hwm_mb"])
        time.sleep(1)
        idle = server.cmd("stats", "stats")
        result.update(w4_kb_per_client=(idle["rss_mb"] - empty["rss_mb"]) * 1024 / clients)
        lg_before = lg.cmd("stats", "loadgen clients")
        w2 = server.cmd(f"w2 {updates} {counted} {args.timeout}", "w2", args.timeout * updates + 30)
        result.update({"w2_" + k: v for k, v in w2.items()})
        result["loadgen"] = lg.cmd("stats", "loadgen clients")
        result["loadgen_w2_cpu_s"] = result["loadgen"]["cpu_s"] - lg_before["cpu_s"]
    finally:
        lg.stop()
        server.stop()
    return result


def run_churn(args, kind, clients, clusters, pin):
    server, port = start_server(args, kind, clusters, pin)
    lg = start_loadgen(args, port, clients, pin)
    try:
        server.cmd(f"wait-synced {clients} {args.timeout}", "synced", args.timeout + 30)
        churn = server.cmd(f"churn {args.churn_s} 10 1 {clients}", "churn", args.churn_s + 120)
    finally:
        lg.stop()
        server.stop()
    return churn


def wait_quiet(lg, key, quiet_s=1.5, timeout=120):
    last, since, deadline = None, time.time(), time.time() + timeout
    while time.time() < deadline:
        stats = lg.cmd("stats", "loadgen clients")
        if stats[key] != last:
            last, since = stats[key], time.time()
        elif time.time() - since >= quiet_s and last > 0:
            return stats
        time.sleep(0.5)
    return lg.cmd("stats", "loadgen clients")


def run_delta_reconnect(args, kind, clients, clusters, pin):
    server, port = start_server(args, kind, clusters, pin)
    lg = start_loadgen(args, port, clients, pin, ["--mode", "delta"])
    try:
        first = wait_quiet(lg, "responses")
        lg.cmd("reconnect", "reconnecting")
        time.sleep(2)
        second = wait_quiet(lg, "streams", quiet_s=1.5)
        time.sleep(1)
        second = lg.cmd("stats", "loadgen clients")
    finally:
        lg.stop()
        server.stop()
    return {"initial_bytes_per_client": first["bytes"] / clients,
            "reconnect_bytes_per_client": second["reconnect_bytes"] / clients,
            "reconnect_responses": second["reconnect_responses"]}


def snapshot_bench(args, clusters):
    out = subprocess.run([os.path.join(args.build_dir, "bench", "snapshot_bench"), "--clusters",
                          str(clusters), "--repeat", "3"], capture_output=True, text=True, check=True)
    return parse(out.stdout.strip())


def fmt(v):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}x"


def table(rows):
    """rows: (figure, floor, xdsd, peer). Markdown."""
    lines = ["| figure | floor | xdsd | go-control-plane | xdsd / floor | xdsd / peer |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, floor, xdsd, peer in rows:
        lines.append(f"| {name} | {fmt(floor)} | {fmt(xdsd)} | {fmt(peer)} | {ratio(xdsd, floor)} | "
                     f"{ratio(xdsd, peer)} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.path.join(HERE, "..", "build-bench"))
    ap.add_argument("--peer-binary", default=os.path.join("/tmp", "xdsd_bench_gcp_server"))
    ap.add_argument("--clients", default="100,1000")
    ap.add_argument("--clusters", type=int, default=1000)
    ap.add_argument("--storm-clusters", type=int, default=10000)
    ap.add_argument("--storm-clients", type=int, default=100)
    ap.add_argument("--updates", type=int, default=10)
    ap.add_argument("--churn-s", type=int, default=60)
    ap.add_argument("--churn-clients", type=int, default=100)
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--json")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--procs", type=int, default=1)
    ap.add_argument("--mode", default="sotw", choices=["sotw", "delta"])
    ap.add_argument("--fleet-only", action="store_true")
    ap.add_argument("--kinds", default="floor,xdsd,peer")
    ap.add_argument("--channels", type=int, default=0,
                    help="connections the clients share (loadgen --channels); 0: one per client")
    ap.add_argument("--w8", type=int, default=0)
    ap.add_argument("--perf", default="")
    ap.add_argument("--before-build-dir", default="")
    args = ap.parse_args()
    pin = (os.cpu_count() or 1) >= 2

    if args.smoke:  # CI: xdsd only, tiny, < 20 s
        r = run_fleet(args, "xdsd", 5, 50, False, 3)
        ok = r["w1_ok"] == 1 and r["w2_failed"] == 0 and r["loadgen"]["failed"] == 0
        print(json.dumps(r))
        print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
        return 0 if ok else 1

    have_peer = os.path.exists(args.peer_binary)
    kinds = [k for k in args.kinds.split(",") if k != "peer" or have_peer]
    ns = [int(n) for n in args.clients.split(",")]
    results = {"ns": ns, "fleet": {}, "meta": {"procs": args.procs, "mode": args.mode}}
    t0 = time.time()
    for n in ns:
        for kind in kinds:
            print(f"[{time.time() - t0:6.1f}s] W1/W2/W4 {kind} N={n}", file=sys.stderr)
            results["fleet"][f"{kind}/{n}"] = run_fleet(args, kind, n, args.clusters, pin, args.updates)
    if args.w8:
        for kind in ["xdsd-before-file"] * ("xdsd-before" in kinds) + ["xdsd-file"]:
            print(f"[{time.time() - t0:6.1f}s] W8 {kind} N={args.w8}", file=sys.stderr)
            results["fleet"][f"{kind}/w8"] = run_fleet(args, kind, args.w8, args.clusters, pin,
                                                       args.updates)
    if args.fleet_only:
        print(json.dumps(results, indent=1, default=str))
        if args.json:
            with open(args.json, "w") as out:
                json.dump(results, out, indent=1, default=str)
        return 0
    nmax = ns[-1]
    print(f"[{time.time() - t0:6.1f}s] W1 full size", file=sys.stderr)
    for kind in kinds:
        results["fleet"][f"{kind}/storm"] = run_fleet(args, kind, args.storm_clients,
                                                      args.storm_clusters, pin, 2)
    print(f"[{time.time() - t0:6.1f}s] W6", file=sys.stderr)
    for kind in kinds:
        results["fleet"][f"{kind}/w6"] = run_fleet(args, kind, nmax, args.clusters, pin,
                                                   args.updates, slow=0.01, nack=0.01)
    print(f"[{time.time() - t0:6.1f}s] unpinned W2 xdsd", file=sys.stderr)
    results["fleet"]["xdsd/unpinned"] = run_fleet(args, "xdsd", nmax, args.clusters, False,
                                                  args.updates)
    print(f"[{time.time() - t0:6.1f}s] W7", file=sys.stderr)
    results["w7"] = {k: run_delta_reconnect(args, k, args.churn_clients, args.clusters, pin)
                     for k in kinds if k != "floor"}
    print(f"[{time.time() - t0:6.1f}s] W5", file=sys.stderr)
    results["w5"] = snapshot_bench(args, args.storm_clusters)
    if args.churn_s > 0:
        print(f"[{time.time() - t0:6.1f}s] W3 ({args.churn_s}s each)", file=sys.stderr)
        results["w3"] = {k: run_churn(args, k, args.churn_clients, args.clusters, pin) for k in kinds}
    print(f"[{time.time() - t0:6.1f}s] done", file=sys.stderr)

    f = results["fleet"]

    def g(kind, key, field):
        r = f.get(f"{kind}/{key}")
        return None if r is None else r.get(field)

    rows = []
    storm = f"W1 connect storm, N={args.storm_clients}, {args.storm_clusters} clusters"
    rows.append((f"{storm}: all ACKed (ms)", *[g(k, "storm", "w1_ms") for k in ("floor", "xdsd", "peer")]))
    rows.append((f"{storm}: server CPU (s)", *[g(k, "storm", "w1_cpu_s") for k in ("floor", "xdsd", "peer")]))
    rows.append((f"{storm}: peak RSS (MB)", *[g(k, "storm", "w1_peak_rss_mb") for k in ("floor", "xdsd", "peer")]))
    for n in ns:
        w = f"N={n}, {args.clusters} clusters"
        rows.append((f"W1 connect storm {w}: all ACKed (ms)", *[g(k, n, "w1_ms") for k in ("floor", "xdsd", "peer")]))
        rows.append((f"W1 connect storm {w}: peak RSS (MB)", *[g(k, n, "w1_peak_rss_mb") for k in ("floor", "xdsd", "peer")]))
        rows.append((f"W2 fan-out {w}: publish→ACK p50 (ms)", *[g(k, n, "w2_p50_ms") for k in ("floor", "xdsd", "peer")]))
        rows.append((f"W2 fan-out {w}: publish→ACK p99 (ms)", *[g(k, n, "w2_p99_ms") for k in ("floor", "xdsd", "peer")]))
        rows.append((f"W2 fan-out {w}: publish→all ACKed max (ms)", *[g(k, n, "w2_all_max_ms") for k in ("floor", "xdsd", "peer")]))
        rows.append((f"W2 fan-out {w}: server CPU per stream per update (µs)", *[g(k, n, "w2_cpu_us_per_stream_update") for k in ("floor", "xdsd", "peer")]))
        rows.append((f"W4 idle memory {w}: KB per client", *[g(k, n, "w4_kb_per_client") for k in ("floor", "xdsd", "peer")]))
    rows.append((f"W6 1% slow + 1% NACK, N={nmax}: others' p99 (ms)", *[g(k, "w6", "w2_p99_ms") for k in ("floor", "xdsd", "peer")]))
    rows.append((f"W6 1% slow + 1% NACK, N={nmax}: all ACKed max (ms)", *[g(k, "w6", "w2_all_max_ms") for k in ("floor", "xdsd", "peer")]))
    rows.append((f"W2 unpinned, N={nmax}: p99 (ms)", None, g("xdsd", "unpinned", "w2_p99_ms"), None))
    w7 = results["w7"]
    rows.append((f"W7 delta, N={args.churn_clients}: initial bytes per client", None,
                 w7.get("xdsd", {}).get("initial_bytes_per_client"), w7.get("peer", {}).get("initial_bytes_per_client")))
    rows.append((f"W7 delta reconnect with initial_resource_versions: bytes per client", None,
                 w7.get("xdsd", {}).get("reconnect_bytes_per_client"), w7.get("peer", {}).get("reconnect_bytes_per_client")))
    w5 = results["w5"]
    rows.append((f"W5 snapshot build, {int(w5['clusters'])} clusters / {int(w5['endpoints'])} endpoints (ms)",
                 w5["plain_ms"], w5["xdsd_build_ms"], None))
    if "w3" in results:
        w3 = results["w3"]
        c = f"W3 churn 1% of {args.clusters} clusters ×10/s, {args.churn_s} s, N={args.churn_clients}"
        for field, label in (("rss_start_mb", "RSS start (MB)"), ("rss_end_mb", "RSS end (MB)"),
                             ("rss_max_mb", "RSS max (MB)"), ("cpu_s", "server CPU (s)"),
                             ("converge_ms", "converged after last publish (ms)")):
            rows.append((f"{c}: {label}", *[w3.get(k, {}).get(field) for k in ("floor", "xdsd", "peer")]))
    text = table(rows)
    print(text)
    results["table"] = text
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
