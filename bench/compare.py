#!/usr/bin/env python3
"""Times the bench guest (bench/guest, bench.elf) under tx86 --engine jit,
tx86 --engine interp and qemu-system-i386 -accel tcg in one run, and prints
per-section times and ratios against issue #4's targets.

    bench/compare.py [--build DIR] [--sections LIST] [--scale P] [--repeat N]
                     [--tx86 PATH] [--no-qemu] [--install-qemu] [--markdown]

Each runner boots the guest with its output on a pipe (tx86: --debugcon
stdio; QEMU: -debugcon stdio); every line is timestamped as it arrives
(time.monotonic) together with the process's CPU time (the sum of
/proc/PID/task/*/schedstat, all threads), so a section's time is END minus
BEGIN and start-up is excluded. Times are the median over --repeat boots;
the runners alternate within each repeat so that load changes hit all alike.

Every section's checksum must be the same under every runner and equal the
native model's (bench-guest-model); a mismatch is reported as a failure and
the exit status is 1. Nothing here is a test: the figures vary with load.

QEMU is Debian's qemu-system-x86 package. If it is missing, the script says
how to install it, or installs it with --install-qemu (apt-get; nothing
else is ever downloaded).
"""
import argparse
import glob
import os
import re
import select
import shutil
import statistics
import subprocess
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

INTEGER_TARGET_X = 2.0   # integer kernels: at least 2x QEMU's throughput
SYSTEM_TARGET_X = 0.5    # system kernels: at most half of QEMU's time
SMC_TARGET_US = 0.5      # self-modifying code: under 0.5 us per patch
REP_TARGET_X = 10.0      # REP string: within 10x of the host's memcpy/memset


class CpuClock:
    """CPU time of every thread of a process, from /proc/PID/task/*/schedstat
    (ns). A thread's last value is kept after it exits, so the sum never goes
    back; the caller polls often (run_timed: every 20 ms) so that little of a
    short-lived thread's time is lost."""

    def __init__(self, pid):
        self.pid = pid
        self.last = {}

    def seconds(self):
        for path in glob.glob(f"/proc/{self.pid}/task/*/schedstat"):
            try:
                with open(path) as f:
                    self.last[path] = max(self.last.get(path, 0), int(f.read().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
        return sum(self.last.values()) / 1e9 if self.last else None


def run_timed(cmd, timeout):
    """Runs cmd; returns (exit status, [(wall, cpu, line)], stderr text)."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, bufsize=0)
    clock = CpuClock(proc.pid)
    os.set_blocking(proc.stderr.fileno(), False)
    lines, pending, err = [], b"", b""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while True:
        ready, _, _ = select.select([fd], [], [], 0.02)
        now = time.monotonic()
        cpu = clock.seconds()
        try:
            err += proc.stderr.read() or b""
        except (BlockingIOError, TypeError):
            pass
        if now > deadline:
            proc.kill()
            break
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            lines.append((now, cpu, line.decode("latin-1").rstrip("\r")))
    try:
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    os.set_blocking(proc.stderr.fileno(), True)
    err += proc.stderr.read() or b""
    return proc.returncode, lines, err.decode("latin-1")


def parse_sections(lines):
    """{name: dict(wall, cpu, checksum, iters, bytes, tsc)} from BEGIN/END."""
    begun, out = {}, {}
    for wall, cpu, text in lines:
        m = re.match(r"BEGIN (\S+)$", text)
        if m:
            begun[m.group(1)] = (wall, cpu)
            continue
        m = re.match(r"END (\S+) checksum=(0x[0-9a-f]+) iters=(\d+) bytes=(\d+) tsc=(\d+)$", text)
        if m and m.group(1) in begun:
            w0, c0 = begun[m.group(1)]
            out[m.group(1)] = dict(wall=wall - w0, cpu=(cpu - c0) if cpu is not None and c0 is not None else None,
                                   checksum=m.group(2), iters=int(m.group(3)), bytes=int(m.group(4)),
                                   tsc=int(m.group(5)))
    return out


class Runner:
    def __init__(self, name, argv):
        self.name = name
        self.argv = argv
        self.results = {}   # section -> list of per-repeat dicts
        self.failures = []
        self.stderr = ""

    def run(self, append, timeout):
        status, lines, err = run_timed(self.argv(append), timeout)
        self.stderr = err
        text = [l for _, _, l in lines]
        for l in text:
            if l.startswith("FATAL"):
                self.failures.append(f"{self.name}: {l}")
        if status != 1:
            self.failures.append(f"{self.name}: exit status {status}, expected 1 "
                                 f"(last line: {text[-1] if text else 'none'}; {err.strip()[-200:]})")
        for name, r in parse_sections(lines).items():
            self.results.setdefault(name, []).append(r)

    def median(self, section, key):
        vals = [r[key] for r in self.results.get(section, []) if r[key] is not None]
        return statistics.median(vals) if vals else None


def find_qemu(install):
    qemu = shutil.which("qemu-system-i386")
    if qemu or not install:
        return qemu
    cmd = ["apt-get", "install", "-y", "qemu-system-x86"]
    if os.geteuid() != 0:
        cmd = ["sudo"] + cmd
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=False)
    return shutil.which("qemu-system-i386")


def host_rep(path, units, unit_bytes):
    out = subprocess.run([path, str(units), str(unit_bytes)], check=True, capture_output=True, text=True).stdout
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"(memcpy|memset) seconds=([0-9.]+)", out)}


SECTION_NAMES = ["crc32", "sieve", "sort", "matrix", "string", "rep_movsd", "rep_stosd", "indirect_call",
                 "bytecode", "int_ring0", "int_ring3", "port_io", "cr3_reload", "page_fault", "smc"]
GROUPS = {"integer": SECTION_NAMES[:7], "control": SECTION_NAMES[7:9], "system": SECTION_NAMES[9:]}


def profile(tx86, elf, args):
    """One tx86 --engine jit --stats boot per section: the JIT's counters."""
    chosen = []
    for word in args.sections.split(","):
        for name in SECTION_NAMES if word == "all" else GROUPS.get(word, [word]):
            if name not in chosen:
                chosen.append(name)
    header = ["section", "insns", "in blocks", "blocks translated", "blocks run", "insns/block", "chained",
              "interp stretches", "invalidations", "faults in blocks", "interpreter ran most"]
    rows = []
    for name in chosen:
        cmd = [tx86, "--engine", "jit", "--kernel", elf, "--append", f"sections={name} scale={args.scale} out=e9",
               "--memory", "32M", "--serial", "none", "--debugcon", "none", "--debug-exit", "--stats"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        st = proc.stderr

        def num(pattern):
            m = re.search(pattern, st)
            return int(m.group(1)) if m else 0
        total = num(r"instructions retired\s+(\d+) \(in blocks")
        in_blocks = num(r"in blocks (\d+),")
        run = num(r"blocks run\s+(\d+)")
        linked = num(r"(\d+) blocks entered through one")
        m = re.search(r"most executed:(.*)", st)
        top = " ".join(m.group(1).split()[:4]) if m else "-"
        rows.append([name, f"{total / 1e6:.1f}M", f"{100 * in_blocks / total:.1f}%" if total else "-",
                     str(num(r"blocks translated\s+(\d+)")), str(run), f"{in_blocks / run:.1f}" if run else "-",
                     f"{100 * linked / run:.0f}%" if run else "-", str(num(r"interpreter stretches\s+(\d+)")),
                     str(num(r"invalidations\s+(\d+)")), str(num(r"faults in blocks\s+(\d+)")), top])
        if proc.returncode != 1:
            print(f"FAIL {name}: tx86 exit status {proc.returncode}: {st.strip()[-300:]}")
    print("\nJIT profile (tx86 --engine jit --stats, one boot per section, "
          f"scale={args.scale}); whole boot, set-up included:\n")
    print_table(header, rows, args.markdown)
    print("\nchained: share of blocks entered through a chain link; 'interpreter ran most': the")
    print("mnemonics the fall-back interpreter executed most (instructions the JIT does not translate).")
    return 0


def print_table(header, rows, markdown):
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for row in [header] + rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())


def fmt_t(t):
    if t is None:
        return "-"
    return f"{t:.3f}" if t >= 0.01 else f"{t * 1000:.2f}ms"


def fmt_x(x):
    return "-" if x is None else f"{x:.2f}x"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(SRC, "build"),
                    help="meson build directory with cli/tx86, bench/guest/bench.elf (default: build)")
    ap.add_argument("--tx86", help="tx86 binary (default: BUILD/cli/tx86)")
    ap.add_argument("--elf", help="bench guest (default: BUILD/bench/guest/bench.elf)")
    ap.add_argument("--sections", default="all", help="comma-separated sections or groups (default all)")
    ap.add_argument("--scale", type=int, default=100, help="work per section in percent (default 100)")
    ap.add_argument("--repeat", type=int, default=3, help="boots per runner; the median is shown (default 3)")
    ap.add_argument("--engines", default="jit,interp", help="tx86 engines to run (default jit,interp)")
    ap.add_argument("--no-qemu", action="store_true", help="do not run QEMU")
    ap.add_argument("--install-qemu", action="store_true", help="apt-get install qemu-system-x86 if missing")
    ap.add_argument("--time", choices=["cpu", "wall"], default="cpu",
                    help="time used for ratios: CPU time of the process (default) or wall time")
    ap.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    ap.add_argument("--stats", action="store_true", help="also run tx86 with --stats and print them")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per boot (default 900)")
    ap.add_argument("--profile", action="store_true",
                    help="instead of timing: boot tx86 --engine jit --stats once per section and print "
                         "where its instructions ran (blocks or interpreter) and the JIT's counters")
    args = ap.parse_args()

    tx86 = args.tx86 or os.path.join(args.build, "cli", "tx86")
    elf = args.elf or os.path.join(args.build, "bench", "guest", "bench.elf")
    model = os.path.join(args.build, "bench", "guest", "bench-guest-model")
    rep_tool = os.path.join(args.build, "bench", "bench-host-rep")
    for path in (tx86, elf):
        if not os.path.exists(path):
            sys.exit(f"compare.py: {path} not found (build with: ninja -C {args.build})")
    append = f"sections={args.sections} scale={args.scale} out=e9"
    if args.profile:
        return profile(tx86, elf, args)

    runners = []
    for engine in args.engines.split(","):
        def argv(app, engine=engine):
            cmd = [tx86, "--engine", engine, "--kernel", elf, "--append", app, "--memory", "32M",
                   "--serial", "none", "--debugcon", "stdio", "--debug-exit"]
            return cmd + (["--stats"] if args.stats else [])
        runners.append(Runner(f"tx86-{engine}", argv))
    qemu = None
    if not args.no_qemu:
        qemu = find_qemu(args.install_qemu)
        if not qemu:
            print("compare.py: qemu-system-i386 not found; install Debian's package with\n"
                  "    sudo apt-get install qemu-system-x86\n"
                  "or run with --install-qemu (or --no-qemu to skip it).", file=sys.stderr)
            return 2
        runners.append(Runner("qemu-tcg", lambda app: [
            qemu, "-accel", "tcg", "-M", "pc", "-m", "32", "-nodefaults", "-display", "none",
            "-serial", "none", "-monitor", "none", "-debugcon", "stdio",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot",
            "-kernel", elf, "-append", app]))

    commit = subprocess.run(["git", "-C", SRC, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    cpu_model = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu_model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    print(f"commit {commit}; host {cpu_model}, {os.cpu_count()} cores; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"guest command line: {append}; {args.repeat} boot(s) per runner; ratios use {args.time} time")
    for r in range(args.repeat):
        for runner in runners:
            runner.run(append, args.timeout)
            print(f"  repeat {r + 1}/{args.repeat}: {runner.name} done", file=sys.stderr, flush=True)
    if args.stats:
        for runner in runners:
            if runner.name.startswith("tx86"):
                print(f"--- {runner.name} --stats (last boot, all sections) ---\n{runner.stderr}")

    # Checksums: every runner and repeat, and the native model.
    failures = [f for r in runners for f in r.failures]
    expected = {}
    if os.path.exists(model):
        out = subprocess.run([model, str(args.scale)], capture_output=True, text=True).stdout
        for m in re.finditer(r"^(\S+) checksum=(0x[0-9a-f]+) iters=(\d+)$", out, re.M):
            expected[m.group(1)] = m.group(2)
    names = []
    for runner in runners:
        for name in runner.results:
            if name not in names:
                names.append(name)
    for name in names:
        seen = {(runner.name, r["checksum"]) for runner in runners for r in runner.results.get(name, [])}
        sums = {c for _, c in seen}
        if name in expected:
            sums.add(expected[name])
        if len(sums) > 1:
            failures.append(f"{name}: checksums differ: {sorted(seen)} model {expected.get(name, '-')}")
        for runner in runners:
            if len(runner.results.get(name, [])) != args.repeat:
                failures.append(f"{name}: {runner.name} finished it {len(runner.results.get(name, []))} "
                                f"of {args.repeat} times")

    by_name = {r.name: r for r in runners}
    jit, interp, q = by_name.get("tx86-jit"), by_name.get("tx86-interp"), by_name.get("qemu-tcg")
    key = args.time
    rep_host = {}
    group_of = {name: next((g for g, members in GROUPS.items() if name in members), "integer") for name in names}
    rows = []
    for name in names:
        t_jit = jit.median(name, key) if jit else None
        t_int = interp.median(name, key) if interp else None
        t_q = q.median(name, key) if q else None
        any_runner = next(r for r in runners if name in r.results)
        sample = any_runner.results[name][0]
        insns = jit.results[name][0]["tsc"] if jit and name in jit.results else (
            interp.results[name][0]["tsc"] if interp and name in interp.results else None)
        mips = insns / t_jit / 1e6 if insns and t_jit else None
        vs_q = t_q / t_jit if t_q and t_jit else None
        vs_int = t_int / t_jit if t_int and t_jit else None
        other = "wall" if key == "cpu" else "cpu"
        w_jit = jit.median(name, other) if jit else None
        w_q = q.median(name, other) if q else None
        vs_q_other = w_q / w_jit if w_q and w_jit else None
        target, met = "-", "-"
        if name.startswith("rep_") and t_jit:
            if not rep_host and os.path.exists(rep_tool):
                rep_host.update(host_rep(rep_tool, sample["iters"], sample["bytes"] // max(1, sample["iters"])))
            host_t = rep_host.get("memcpy" if "movs" in name else "memset")
            if host_t:
                ratio = t_jit / host_t
                target = f"<= {REP_TARGET_X:.0f}x host ({ratio:.0f}x; host {sample['bytes'] / host_t / 1e9:.1f} GB/s, "
                target += f"JIT {sample['bytes'] / t_jit / 1e9:.2f} GB/s)"
                met = "yes" if ratio <= REP_TARGET_X else "no"
        elif group_of[name] == "integer" and vs_q is not None:
            target, met = f">= {INTEGER_TARGET_X:.0f}x QEMU", "yes" if vs_q >= INTEGER_TARGET_X else "no"
        elif name == "smc" and t_jit:
            per = t_jit / sample["iters"] * 1e6
            ok_q = vs_q is None or vs_q >= 1 / SYSTEM_TARGET_X
            target = f"< {SMC_TARGET_US} us/patch ({per:.2f} us), <= 0.5x QEMU time"
            met = "yes" if per < SMC_TARGET_US and ok_q else "no"
        elif group_of[name] == "system" and vs_q is not None:
            per = t_jit / sample["iters"] * 1e9
            target = f"<= 0.5x QEMU time ({per:.0f} ns/op)"
            met = "yes" if vs_q >= 1 / SYSTEM_TARGET_X else "no"
        rows.append([name, group_of[name], fmt_t(t_jit), fmt_t(t_int), fmt_t(t_q), fmt_x(vs_q), fmt_x(vs_q_other),
                     fmt_x(vs_int),
                     f"{insns / 1e6:.1f}M" if insns else "-", f"{mips:.0f}" if mips else "-", target, met])

    header = ["section", "group", "tx86 jit s", "tx86 interp s", "QEMU s", "QEMU/JIT",
              "QEMU/JIT " + ("wall" if key == "cpu" else "cpu"), "interp/JIT",
              "guest insns", "JIT MIPS", "target (measured)", "met"]
    print()
    print_table(header, rows, args.markdown)
    print()
    print(f"Times: {key} time, median of {args.repeat}. QEMU/JIT: QEMU's time over the JIT's (above 1: the JIT")
    print(f"is faster), also with {'wall' if key == 'cpu' else 'cpu'} time; interp/JIT likewise.")
    print("guest insns: instructions retired in the section (tx86's RDTSC counts them; a REP string")
    print("instruction counts once). JIT MIPS = guest insns / JIT time.")
    if failures:
        print()
        for f in failures:
            print("FAIL " + f)
        return 1
    print(f"checksums: all {len(names)} sections agree across runners"
          + (" and with the native model" if expected else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
