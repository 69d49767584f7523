#!/usr/bin/env python3
"""Where the host's time goes in one benchmark section under --engine jit.

Runs the bench guest under `perf record` with --jit-perf-map (perf names each
block tx86_bN_EIP) and --jit-dump (block N's listing), then prints the host
functions that took the most samples and, for the hottest blocks, their host
code with the share of samples on each line.

  bench/profile.py --build build --section sort [--scale 400] [--blocks 4]

Needs Linux perf (Debian: linux-perf) and permission to sample
(kernel.perf_event_paranoid <= 2). Sampling uses the CPU clock, so it works
inside virtual machines without hardware counters.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile


def parse_dump(path):
    """Block number -> {'header': str, 'lines': {host offset: text}}."""
    blocks, cur = {}, None
    for line in open(path):
        m = re.match(r"#(\d+) block (.*)", line)
        if m:
            cur = blocks[int(m.group(1))] = {"header": m.group(2).strip(), "lines": {}}
            continue
        m = re.match(r"\s+\+([0-9a-f]{4,})\s+(.*)", line)
        if m and cur is not None:
            cur["lines"][int(m.group(1), 16)] = m.group(2)
    return blocks


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build", help="meson build directory (default: build)")
    ap.add_argument("--section", required=True, help="bench guest section, e.g. sort")
    ap.add_argument("--scale", type=int, default=400, help="guest scale (default 400)")
    ap.add_argument("--blocks", type=int, default=4, help="hottest blocks to annotate (default 4)")
    args = ap.parse_args()

    tx86 = os.path.join(args.build, "cli", "tx86")
    kernel = os.path.join(args.build, "bench", "guest", "bench.elf")
    for f in (tx86, kernel):
        if not os.path.exists(f):
            sys.exit(f"profile.py: {f} not found (build first: ninja -C {args.build})")
    with tempfile.TemporaryDirectory() as tmp:
        data, dump = os.path.join(tmp, "perf.data"), os.path.join(tmp, "dump.txt")
        guest = [tx86, "--engine", "jit", "--kernel", kernel, "--append",
                 f"sections={args.section} scale={args.scale} out=e9", "--memory", "32M", "--serial", "none",
                 "--debugcon", "none", "--debug-exit", "--jit-dump", dump, "--jit-perf-map"]
        try:
            rec = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-o", data, "--", *guest],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except FileNotFoundError:
            sys.exit("profile.py: perf not found (Debian: apt-get install linux-perf)")
        if not os.path.exists(data):
            sys.exit("profile.py: perf record failed: " + rec.stderr.decode()[-500:])
        script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,symoff,dso"], capture_output=True)
        pid_maps = [l for l in rec.stderr.decode().splitlines() if "perf-" in l]
        blocks = parse_dump(dump)

    total = 0
    where = collections.Counter()          # host function -> samples
    block_samples = collections.Counter()  # block number -> samples
    line_samples = collections.Counter()   # (block, offset) -> samples
    for line in script.stdout.decode(errors="replace").splitlines():
        m = re.match(r"\s*([0-9a-f]+)\s+(\S+?)(?:\+0x([0-9a-f]+))?\s+\((.*)\)\s*$", line)
        if not m:
            continue
        total += 1
        sym, off = m.group(2), int(m.group(3) or "0", 16)
        b = re.fullmatch(r"tx86_b(\d+)_[0-9a-f]{8}", sym)
        if not b:
            where[sym if sym != "[unknown]" else os.path.basename(m.group(4))] += 1
            continue
        n = int(b.group(1))
        where["(translated code)"] += 1
        block_samples[n] += 1
        lines = blocks.get(n, {}).get("lines", {})
        at = max((k for k in lines if k <= off), default=0)
        line_samples[(n, at)] += 1
    if total == 0:
        sys.exit("profile.py: no samples (perf_event_paranoid? " + " ".join(pid_maps) + ")")

    print(f"{total} samples, section {args.section}, scale {args.scale}")
    for sym, n in where.most_common(15):
        print(f"  {100 * n / total:5.1f}%  {sym}")
    for n, count in block_samples.most_common(args.blocks):
        blk = blocks.get(n, {"header": "(not in the dump)", "lines": {}})
        print(f"\n== block #{n}: {100 * count / total:.1f}%  {blk['header'][:100]}")
        for at in sorted(blk["lines"]):
            c = line_samples[(n, at)]
            share = f"{100 * c / total:5.1f}%" if c else "      "
            print(f"  {share}  +{at:04x}  {blk['lines'][at]}")


if __name__ == "__main__":
    main()
