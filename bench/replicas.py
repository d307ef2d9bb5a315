#!/usr/bin/env python3
"""Replicas on etcd, measured (not run in CI): apply -> every client ACKed, and agreement.

Starts a 3-member etcd on loopback, --replicas `xdsd serve --config etcd://...` replicas and
--clients Envoy-like ADS clients (bench/loadgen, one process per replica, each client its own
TCP connection), spread evenly over the replicas. Then:
  1. --applies applies (`xdsd apply`, every cluster's endpoints change): for each, the time the
     apply command took, and from its exit (the transaction committed) until every client on
     every replica has ACKed the new CDS and EDS versions (polled every --poll-ms). p50/p99.
  2. --agreement-applies applies under client churn (before each, one loadgen process is killed
     and started again, so its clients reconnect): do all replicas come to serve the applied
     etcd revision under one config version (and the same version of every type of every
     group) within --converge-s? The share that do (must be 100%).

  bench/replicas.py --build-dir build [--clients 1000] [--applies 20] [--agreement-applies 100]
Exit status 1 when a change did not converge or the replicas disagreed.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from soak import config_text, converged, free_port, http_json


def start_etcd(work, members):
    """`members` etcd members on loopback; returns (processes, "etcd://.../xdsd")."""
    ports = [(free_port(), free_port()) for _ in range(members)]
    cluster = ",".join(f"m{i}=http://127.0.0.1:{peer}" for i, (_, peer) in enumerate(ports))
    processes = []
    for i, (client, peer) in enumerate(ports):
        log = open(os.path.join(work, f"etcd{i}.log"), "w")
        processes.append(subprocess.Popen(
            ["/usr/bin/etcd", "--name", f"m{i}", "--data-dir", os.path.join(work, f"etcd{i}"),
             "--listen-client-urls", f"http://127.0.0.1:{client}",
             "--advertise-client-urls", f"http://127.0.0.1:{client}",
             "--listen-peer-urls", f"http://127.0.0.1:{peer}",
             "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
             "--initial-cluster", cluster, "--log-level", "error", "--logger", "zap"],
            stdout=log, stderr=subprocess.STDOUT))
    endpoints = ",".join(f"127.0.0.1:{client}" for client, _ in ports)
    return processes, f"etcd://{endpoints}/xdsd"


def apply(xdsd_bin, work, url, generation, clusters):
    """Writes generation `generation` and applies it; (seconds the command took, revision)."""
    path = os.path.join(work, "config.yaml")
    with open(path, "w") as f:
        f.write(config_text(generation, clusters))
    started = time.time()
    for _ in range(100):  # etcd may still be electing a leader right after it started
        done = subprocess.run([xdsd_bin, "apply", path, "--to", url], capture_output=True,
                              text=True, timeout=60)
        if done.returncode != 3:
            break
        time.sleep(0.2)  # etcd unreachable yet: retry, as an operator would
    if done.returncode != 0:
        raise RuntimeError(f"xdsd apply failed ({done.returncode}): {done.stderr}")
    took = time.time() - started
    return took, int(re.search(r"applied at revision (\d+)", done.stdout).group(1))


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def wait_all_acked(replicas, clients, previous, timeout, poll_s):
    """Polls until every client on every replica ACKed one new CDS and EDS version; the
    versions, or None after `timeout`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        seen, nodes = set(), 0
        ok = True
        for _, http_port in replicas:
            try:
                done, count, versions = converged(http_port, previous)
            except OSError:
                done, count, versions = False, 0, None
            ok = ok and done
            nodes += count
            if done:
                seen |= versions
        if ok and nodes >= clients and len(seen) == 2:
            return seen
        time.sleep(poll_s)  # the polling interval, the resolution of the measurement
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", default="build")
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--applies", type=int, default=20)
    parser.add_argument("--agreement-applies", type=int, default=100)
    parser.add_argument("--poll-ms", type=float, default=50)
    parser.add_argument("--converge-s", type=float, default=60)
    args = parser.parse_args()
    xdsd_bin = os.path.join(args.build_dir, "src/cli/xdsd")
    loadgen_bin = os.path.join(args.build_dir, "bench/loadgen")
    work = tempfile.mkdtemp(prefix="xdsd_replicas_")
    etcd, url = start_etcd(work, 3)
    processes = list(etcd)
    generation = 0
    try:
        apply(xdsd_bin, work, url, generation, args.clusters)
        replicas = []
        for i in range(args.replicas):
            xds_port, http_port = free_port(), free_port()
            log = open(os.path.join(work, f"xdsd{i}.log"), "w")
            processes.append(subprocess.Popen(
                [xdsd_bin, "serve", "--config", url, f"--xds-port={xds_port}",
                 f"--http-port={http_port}", "--log-level=warn", "--drain-time=0s"],
                stdout=log, stderr=subprocess.STDOUT))
            replicas.append((xds_port, http_port))
        for _, http_port in replicas:
            deadline = time.time() + 60
            while True:
                try:
                    http_json(http_port, "/v1/config")
                    break
                except OSError:
                    if time.time() > deadline:
                        raise RuntimeError(f"a replica did not start; logs in {work}")
                    time.sleep(0.2)  # polling a process just started

        per_replica = args.clients // args.replicas
        def start_loadgen(i):
            count = per_replica if i < args.replicas - 1 else args.clients - per_replica * i
            return subprocess.Popen(
                [loadgen_bin, "--target", f"127.0.0.1:{replicas[i][0]}", "--clients", str(count),
                 "--first-index", str(i * per_replica), "--routes", "0"],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        loadgens = [start_loadgen(i) for i in range(args.replicas)]
        previous = wait_all_acked(replicas, args.clients, None, args.converge_s, 0.5)
        if previous is None:
            raise RuntimeError("the clients never all ACKed the first config")
        print(f"replicas: {args.replicas} replicas on a 3-member etcd, {args.clients} clients "
              f"({per_replica} a replica), {args.clusters} clusters; work dir {work}")

        # 1. apply -> every client ACKed.
        apply_s, acked_s = [], []
        failures = 0
        for _ in range(args.applies):
            generation += 1
            took, _ = apply(xdsd_bin, work, url, generation, args.clusters)
            committed = time.time()
            versions = wait_all_acked(replicas, args.clients, previous, args.converge_s,
                                      args.poll_ms / 1000)
            if versions is None:
                failures += 1
                continue
            acked_s.append(time.time() - committed)
            apply_s.append(took)
            previous = versions
        print(f"apply (the command): p50 {percentile(apply_s, 50) * 1000:.0f} ms, "
              f"p99 {percentile(apply_s, 99) * 1000:.0f} ms")
        print(f"apply committed -> all {args.clients} clients ACKed on every replica "
              f"({len(acked_s)} applies, polled every {args.poll_ms:g} ms): "
              f"p50 {percentile(acked_s, 50) * 1000:.0f} ms, "
              f"p99 {percentile(acked_s, 99) * 1000:.0f} ms, "
              f"max {max(acked_s) * 1000:.0f} ms; {failures} did not converge")

        # 2. agreement under churn.
        agreed = 0
        for n in range(args.agreement_applies):
            victim = n % args.replicas
            loadgens[victim].kill()
            loadgens[victim].wait()
            loadgens[victim] = start_loadgen(victim)
            generation += 1
            _, revision = apply(xdsd_bin, work, url, generation, args.clusters)
            # A replica's etcd revision moves as soon as it holds the keys, its version once
            # it has built and published them: poll until both agree, or the deadline.
            deadline = time.time() + args.converge_s
            while time.time() < deadline:
                statuses = [http_json(p, "/v1/config") for _, p in replicas]
                if (all(s["etcd"]["revision"] == revision for s in statuses) and
                        len({s["version"] for s in statuses}) == 1 and
                        len({str(s["served_versions"]) for s in statuses}) == 1):
                    agreed += 1
                    break
                time.sleep(args.poll_ms / 1000)  # polling the replicas' status
        print(f"agreement under churn: {agreed} of {args.agreement_applies} applies served under "
              f"the same version by all {args.replicas} replicas "
              f"({100 * agreed / args.agreement_applies:.0f}%)")
        return 0 if failures == 0 and agreed == args.agreement_applies else 1
    finally:
        for p in processes + locals().get("loadgens", []):
            p.send_signal(signal.SIGKILL)
            p.wait()
        if "KEEP_WORK" not in os.environ:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
