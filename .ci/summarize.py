#!/usr/bin/env python3
"""Prints the plain 'N passed, M failed' line CI reads, from meson testlogs.

Each argument is a meson-logs/testlog.json (one JSON object per line). A
test counts as passed on OK or EXPECTEDFAIL, as failed on FAIL, TIMEOUT,
ERROR or UNEXPECTEDPASS; SKIP is counted separately. Exits non-zero if any
test failed or no test ran at all.
"""
import json
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line for line in f if line.strip()]
    except OSError as e:
        print(f"cannot read {path}: {e.strerror}", file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        result = json.loads(line).get("result", "")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
            print(f"failed: {json.loads(line).get('name')} ({result}) in {path}", file=sys.stderr)
if skipped:
    print(f"({skipped} skipped)")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or passed == 0 else 0)
