#!/usr/bin/env python3
"""tx86 --engine jit end to end: the demo ROM's output, lockstep on the demo
ROM, --jit-dump, --jit-perf-map, --stats, --jit-cache-size and the option errors."""
import os
import re
import subprocess
import sys
import tempfile

TX86, EXPECTED = sys.argv[1], sys.argv[2]
failures = 0


def run(*args, timeout=300):
    return subprocess.run([TX86, *args], capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)


def check(name, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
    if not ok:
        failures += 1


with tempfile.TemporaryDirectory() as tmp:
    expected = open(EXPECTED, "rb").read()

    serial = os.path.join(tmp, "serial.txt")
    r = run("--engine", "jit", "--serial", "file:" + serial, "--exit-on-halt", "--stats")
    got = open(serial, "rb").read() if os.path.exists(serial) else b""
    err = r.stderr.decode()
    check("demo ROM output under the JIT", r.returncode == 0 and got == expected,
          f"exit {r.returncode}, {err[-300:]}")
    check("--stats shows the JIT figures", "blocks translated" in err and "cache hits" in err
          and "invalidations" in err and "flushes" in err and "time translating" in err, err[-600:])

    # Same instruction count as the interpreter (virtual time is derived from it).
    ri = run("--serial", "none", "--exit-on-halt", "--stats")
    vt = [l for l in ri.stderr.decode().splitlines() if "virtual time" in l]
    vj = [l for l in err.splitlines() if "virtual time" in l]
    check("same virtual time as the interpreter", vt and vt == vj, f"{vt} vs {vj}")

    # A tiny cache: flushed over and over, same output.
    serial2 = os.path.join(tmp, "serial2.txt")
    r = run("--engine", "jit", "--jit-cache-size", "64K", "--serial", "file:" + serial2, "--exit-on-halt")
    check("demo ROM with a 64K translation cache", r.returncode == 0 and open(serial2, "rb").read() == expected,
          f"exit {r.returncode}")

    # Lockstep over the first two million instructions (the whole demo takes
    # ~18 million; lockstep runs at about 1 MIPS).
    r = run("--engine", "jit", "--lockstep", "--serial", "none", "--max-instructions", "2000000", "--stats")
    err = r.stderr.decode()
    check("demo ROM in lockstep", r.returncode == 6 and "lockstep" in err and "blocks compared" in err,
          f"exit {r.returncode}: {err[-500:]}")

    dump = os.path.join(tmp, "dump.txt")
    r = run("--engine", "jit", "--jit-dump", dump, "--serial", "none", "--max-instructions", "100000")
    text = open(dump).read() if os.path.exists(dump) else ""
    check("--jit-dump writes block listings", r.returncode == 6 and text.count("block paddr=") > 5
          and "guest:" in text and "host:" in text and "exits:" in text and "push rbx" in text,
          f"exit {r.returncode}, {len(text)} chars")

    # The perf map is named after the process: /tmp/perf-PID.map.
    p = subprocess.Popen([TX86, "--engine", "jit", "--jit-perf-map", "--serial", "none", "--max-instructions", "100000"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    rc = p.wait(timeout=300)
    perf_map = f"/tmp/perf-{p.pid}.map"
    lines = open(perf_map).read().splitlines() if os.path.exists(perf_map) else []
    check("--jit-perf-map names every block for perf", rc == 6 and len(lines) > 5
          and all(re.fullmatch(r"[0-9a-f]+ [0-9a-f]+ tx86_b\d+_[0-9a-f]{8}", l) for l in lines)
          and lines[0].split()[2].startswith("tx86_b1_"), f"exit {rc}, {lines[:2]}")
    if os.path.exists(perf_map):
        os.remove(perf_map)

    def usage(name, args, must):
        r = run(*args)
        e = r.stderr.decode()
        check(name, r.returncode == 2 and must in e, f"exit {r.returncode}: {e}")

    usage("--lockstep needs --engine jit", ["--lockstep"], "--engine jit")
    usage("--jit-perf-map needs --engine jit", ["--jit-perf-map"], "--engine jit")
    usage("--jit-dump needs --engine jit", ["--jit-dump", os.path.join(tmp, "d")], "--engine jit")
    usage("bad --jit-cache-size", ["--engine", "jit", "--jit-cache-size", "1K"], "--jit-cache-size")
    usage("unwritable --jit-dump", ["--engine", "jit", "--jit-dump", os.path.join(tmp, "no", "d")], "--jit-dump")
    usage("--trace with the JIT", ["--engine", "jit", "--trace", os.path.join(tmp, "t")], "--trace")

sys.exit(1 if failures else 0)
