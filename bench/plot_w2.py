#!/usr/bin/env python3
"""Plots W2 (small change fan-out: publish -> ACK p50 and p99) against the number of clients for
the floor, xdsd (and xdsd-before, when run) and the go-control-plane peer, from the JSON that
run_suite.py --json writes; several files (runs at different N) are merged.

  python3 bench/plot_w2.py results.json [more.json ...] docs/benchmarks-w2.png
  (needs matplotlib from PyPI)
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(paths, out):
    ns, fleet = set(), {}
    for path in paths:
        with open(path) as f:
            results = json.load(f)
        ns.update(results["ns"])
        fleet.update(results["fleet"])
    ns = sorted(ns)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    styles = {"floor": ("raw floor", "tab:gray"), "xdsd-before": ("xdsd before", "tab:cyan"),
              "xdsd": ("xdsd", "tab:blue"), "peer": ("go-control-plane", "tab:orange")}
    for kind, (label, color) in styles.items():
        points = [(n, fleet.get(f"{kind}/{n}")) for n in ns]
        points = [(n, r) for n, r in points if r is not None]
        if not points:
            continue
        xs = [n for n, _ in points]
        ax.plot(xs, [r["w2_p50_ms"] for _, r in points], "-o", color=color, label=f"{label} p50")
        ax.plot(xs, [r["w2_p99_ms"] for _, r in points], "--s", color=color, label=f"{label} p99")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("clients (one connection each)")
    ax.set_ylabel("publish → ACK (ms)")
    ax.set_title("W2: one endpoint changes, every client watches it")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1:-1], sys.argv[-1])
