#!/usr/bin/env python3
"""Boots one kernel image through scripts/boot-kernel.sh and checks what it prints.

Passes when the exit status is the expected one, every --expect regex matches the
serial output, and no --reject regex does. With --selftest it also requires the line
"N passed, M failed" with N > 0 and M == 0 (or, with --expect-failures K, M == K).
Prints the whole serial output, and the time from QEMU start to the self-test result
(or to exit), so ctest's log shows both.
"""
import argparse
import re
import subprocess
import sys
import time

RESULT = re.compile(rb"(\d+) passed, (\d+) failed")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--boot-script", required=True)
    ap.add_argument("--arch", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--bundle", default="")
    ap.add_argument("--expect-status", type=int, default=0)
    ap.add_argument("--expect", action="append", default=[], help="regex that must match the output")
    ap.add_argument("--reject", action="append", default=[], help="regex that must not match")
    ap.add_argument("--selftest", action="store_true", help="require 'N passed, M failed', N > 0")
    ap.add_argument("--expect-failures", type=int, default=0, help="with --selftest: the M required")
    args = ap.parse_args()

    cmd = ["bash", args.boot_script, args.arch, args.image] + ([args.bundle] if args.bundle else [])
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = b""
    result_at = None
    for line in iter(proc.stdout.readline, b""):
        output += line
        if result_at is None and RESULT.search(line):
            result_at = time.monotonic() - start
    status = proc.wait()
    total = time.monotonic() - start

    text = output.decode("utf-8", "replace")
    sys.stdout.write(text)
    problems = []
    if status != args.expect_status:
        problems.append(f"exit status {status}, expected {args.expect_status}")
    for pattern in args.expect:
        if not re.search(pattern, text, re.MULTILINE):
            problems.append(f"output lacks /{pattern}/")
    for pattern in args.reject:
        if re.search(pattern, text, re.MULTILINE):
            problems.append(f"output has /{pattern}/")
    if args.selftest:
        results = RESULT.findall(output)
        if len(results) != 1:
            problems.append(f"expected one 'N passed, M failed' line, found {len(results)}")
        else:
            passed, failed = (int(x) for x in results[0])
            if passed == 0:
                problems.append("no self-test passed (N == 0)")
            if failed != args.expect_failures:
                problems.append(f"{failed} self-tests failed, expected {args.expect_failures}")
    timing = f"{result_at * 1000:.0f} ms to the self-test result, " if result_at is not None else ""
    print(f"boot_test: {args.arch} {args.image.rsplit('/', 1)[-1]}: status {status}, "
          f"{timing}{total * 1000:.0f} ms to exit")
    for p in problems:
        print(f"boot_test: FAIL: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
