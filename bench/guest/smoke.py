#!/usr/bin/env python3
"""Smoke test of the bench guest (suite `bench`; no timing):

    smoke.py TX86 BENCH_ELF MODEL [SCALE] [--lockstep]

Boots BENCH_ELF under `TX86 --engine interp` and `--engine jit` with every
section at SCALE percent (default 1) and checks that tx86 exits with status
1 (the guest wrote 0 to isa-debug-exit), that every section printed BEGIN
and END, and that each END checksum equals the native model's (MODEL SCALE).
Then checks the command line: `sections=crc32,system repeat=2` runs exactly
those sections twice, and an unknown section name ends with a FATAL line and
exit status 3.

With --lockstep, boots only `--engine jit --lockstep` (every block checked
against the interpreter, RDTSC included: the reference machine runs at the
same virtual time) and checks the checksums.
"""
import re
import subprocess
import sys


def model_checksums(model, scale):
    out = subprocess.run([model, str(scale)], check=True, capture_output=True, text=True).stdout
    sums = {}
    for line in out.splitlines():
        m = re.match(r"(\S+) checksum=(0x[0-9a-f]{8}) iters=(\d+)$", line)
        if not m:
            raise SystemExit(f"model: unexpected line {line!r}")
        sums[m.group(1)] = (m.group(2), int(m.group(3)))
    return sums


def run_guest(tx86, elf, engine, scale, extra="", options=()):
    cmd = [tx86, "--engine", engine, "--kernel", elf, "--append", f"scale={scale} out=e9 {extra}".strip(),
           "--serial", "none", "--debugcon", "stdio", "--debug-exit"] + list(options)
    print("$ " + " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, capture_output=True, timeout=600)
    text = proc.stdout.decode("latin-1")
    sys.stdout.write(text)
    if proc.stderr:
        sys.stdout.write(proc.stderr.decode("latin-1"))
    return proc.returncode, text


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    lockstep = "--lockstep" in sys.argv
    argv = [a for a in sys.argv if a != "--lockstep"]
    tx86, elf, model = argv[1:4]
    scale = int(argv[4]) if len(argv) > 4 else 1
    expected = model_checksums(model, scale)
    failures = []
    runs = [("jit", "", ["--lockstep"])] if lockstep else [("interp", "", []), ("jit", "", [])]
    for engine, extra, options in runs:
        status, text = run_guest(tx86, elf, engine, scale, extra, options)
        if status != 1:
            failures.append(f"{engine}: tx86 exit status {status}, expected 1")
        begun = set(re.findall(r"^BEGIN (\S+)$", text, re.M))
        ended = {m.group(1): (m.group(2), int(m.group(3)))
                 for m in re.finditer(r"^END (\S+) checksum=(0x[0-9a-f]{8}) iters=(\d+) ", text, re.M)}
        for name, (checksum, iters) in expected.items():
            if name not in begun:
                failures.append(f"{engine}: section {name} did not begin")
            elif name not in ended:
                failures.append(f"{engine}: section {name} did not end")
            elif ended[name] != (checksum, iters):
                failures.append(f"{engine}: {name} gave checksum {ended[name][0]} iters {ended[name][1]}, "
                                f"the model {checksum} iters {iters}")
        if not re.search(rf"^DONE {len(expected)}$", text, re.M):
            failures.append(f"{engine}: no 'DONE {len(expected)}' line")
    if lockstep:
        for f in failures:
            print("FAIL " + f)
        print(f"bench guest lockstep: {len(expected)} sections, {len(failures)} problems")
        return 1 if failures else 0
    # Selection and repetition.
    status, text = run_guest(tx86, elf, "interp", scale, "sections=crc32,system repeat=2")
    want = ["crc32", "int_ring0", "int_ring3", "port_io", "cr3_reload", "page_fault", "smc"] * 2
    got = re.findall(r"^END (\S+) ", text, re.M)
    if status != 1 or got != want or not re.search(r"^DONE 14$", text, re.M):
        failures.append(f"sections=crc32,system repeat=2: status {status}, sections run {got}")
    status, text = run_guest(tx86, elf, "interp", scale, "sections=crc32,nosuch")
    if status != 3 or "FATAL unknown section 'nosuch'" not in text or "BEGIN" in text:
        failures.append(f"sections=crc32,nosuch: status {status}, expected 3 and a FATAL line before any section")
    for f in failures:
        print("FAIL " + f)
    print(f"bench guest smoke: {len(expected)} sections x 2 engines, {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
