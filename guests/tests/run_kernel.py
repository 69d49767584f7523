#!/usr/bin/env python3
"""Boots one guest test kernel under tx86 and judges it, for `meson test`.

    run_kernel.py TX86 KERNEL.elf LOG [extra tx86 options...]

Runs `TX86 --kernel KERNEL.elf --serial none --debugcon file:LOG
--debug-exit [extra...]`, prints the kernel's report (the PASS/FAIL lines
it wrote to port 0xE9), and exits 0 only if tx86 exited with status 1 (the
kernel wrote 0 to the isa-debug-exit port: every check passed) and the
report ends in "DONE <area> N passed 0 failed". Any other status (3: some
check failed; anything else: tx86 stopped for another reason) fails.
"""
import os
import re
import subprocess
import sys


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    tx86, kernel, log = sys.argv[1:4]
    extra = sys.argv[4:]
    if os.path.exists(log):
        os.remove(log)
    cmd = [tx86, "--kernel", kernel, "--serial", "none", "--debugcon", "file:" + log, "--debug-exit"] + extra
    print("$ " + " ".join(cmd), flush=True)
    try:
        proc = subprocess.run(cmd, timeout=600)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        print("tx86 did not stop within 600 s")
        status = None
    report = ""
    if os.path.exists(log):
        with open(log, "rb") as f:
            report = f.read().decode("latin-1")
    sys.stdout.write(report)
    done = re.search(r"^DONE (\S+) (\d+) passed (\d+) failed", report, re.M)
    failed_lines = [l for l in report.splitlines() if l.startswith("FAIL ")]
    if done:
        # Worded so that CI's "N passed, N failed" closing-line rule never
        # mistakes one kernel's report for the suite's.
        print(f"kernel {done.group(1)}: {done.group(2)} checks passed and {done.group(3)} checks failed")
    else:
        print("no DONE line: the kernel did not finish")
    if status != 1:
        print(f"tx86 exit status {status}, expected 1 (all checks passed)")
        return 1
    if not done or done.group(3) != "0" or failed_lines:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
