#!/usr/bin/env python3
"""Links the freestanding C ABI probe WITHOUT a runtime and checks what is missing.

The link must fail, and the undefined symbols it names must all be in the list of
runtime symbols docs/porting.md says a kernel provides (the line that starts with
"Runtime symbols:"). So the guide cannot promise less than the library needs, and the
positive link test (with tests/c_abi/kernel_runtime.c) cannot pass by accident.
"""
import argparse
import pathlib
import re
import subprocess
import sys


def documented_symbols(guide: pathlib.Path):
    for line in guide.read_text().splitlines():
        if line.startswith("Runtime symbols:"):
            return set(re.findall(r"`([A-Za-z_][A-Za-z_0-9]*)`", line))
    sys.exit(f"{guide}: no line starting with 'Runtime symbols:'")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--porting-guide", required=True, type=pathlib.Path)
    ap.add_argument("--cmake", default="cmake")
    args = ap.parse_args()

    documented = documented_symbols(args.porting_guide)
    p = subprocess.run([args.cmake, "--build", args.build_dir, "--target", "c_abi_link_probe_without_runtime"],
                       capture_output=True, text=True)
    output = p.stdout + p.stderr
    if p.returncode == 0:
        print("the probe linked without a runtime: the check cannot see missing symbols", file=sys.stderr)
        return 1
    missing = set(re.findall(r"undefined symbol: ([^\s(]+)", output))
    if not missing:
        print("the link failed for another reason than undefined symbols:\n" + output, file=sys.stderr)
        return 1
    undocumented = missing - documented
    print(f"undefined without a runtime: {' '.join(sorted(missing))}")
    print(f"documented in {args.porting_guide.name}: {' '.join(sorted(documented))}")
    if undocumented:
        print(f"NOT documented: {' '.join(sorted(undocumented))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
