#!/usr/bin/env python3
"""Compiles every core header on its own, freestanding, for x86_64, aarch64 and riscv64.

Fails when a header does not compile alone with -ffreestanding -fno-exceptions -fno-rtti,
or when a core header directly includes a system header outside the freestanding
allow-list (the hosted-only corner, include/authority/hosted/, is exempt).
"""
import argparse
import concurrent.futures
import os
import pathlib
import subprocess
import sys
import tempfile

ALLOWED_SYSTEM_HEADERS = {
    # The freestanding subset named in docs/architecture.md.
    "cstdint", "cstddef", "array", "span", "string_view", "optional", "type_traits",
    "concepts", "bit", "atomic", "utility", "limits", "initializer_list", "compare",
    # Compiler-provided intrinsics headers (no libc behind them).
    "arm_neon.h", "arm_acle.h", "cpuid.h",
    # C's own freestanding headers, for the C ABI header (authority.h).
    "stddef.h", "stdint.h",
}
ALLOWED_PREFIXES = ("boost/hana",)

ARCH_FLAGS = {
    "x86_64": ["--target=x86_64-linux-gnu", "-mno-red-zone"],
    "aarch64": ["--target=aarch64-linux-gnu", "-mstrict-align", "-mno-outline-atomics"],
    "riscv64": ["--target=riscv64-linux-gnu", "-march=rv64gc", "-mabi=lp64d", "-mcmodel=medany"],
}
COMMON_FLAGS = ["-std=c++20", "-O1", "-ffreestanding", "-fno-exceptions", "-fno-rtti",
                "-fno-threadsafe-statics", "-fsyntax-only", "-Wall", "-Wextra", "-Werror",
                "-Wno-gnu-statement-expression"]


def core_headers(include_dir: pathlib.Path):
    root = include_dir / "authority"
    for path in sorted(root.rglob("*.hpp")) + sorted(root.rglob("*.h")):
        rel = path.relative_to(include_dir)
        if rel.parts[1] == "hosted":
            continue
        yield rel


def check_direct_includes(include_dir: pathlib.Path, header: pathlib.Path):
    """Returns the disallowed <...> includes written in the header itself."""
    bad = []
    for lineno, line in enumerate((include_dir / header).read_text().splitlines(), 1):
        s = line.strip()
        if not s.startswith("#include") or "<" not in s:
            continue
        name = s[s.index("<") + 1:s.index(">")]
        if name in ALLOWED_SYSTEM_HEADERS or name.startswith(ALLOWED_PREFIXES):
            continue
        bad.append(f"{header}:{lineno}: hosted or unlisted header <{name}> in the freestanding core")
    return bad


def compile_header(clang, include_dir, boost_dir, header, arch):
    with tempfile.NamedTemporaryFile("w", suffix=".cpp", delete=False) as tu:
        tu.write(f"#include <{header.as_posix()}>\n")
        tu_name = tu.name
    try:
        cmd = [clang, *COMMON_FLAGS, *ARCH_FLAGS[arch], f"-I{include_dir}"]
        if boost_dir:
            cmd.append(f"-isystem{boost_dir}")
        cmd.append(tu_name)
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            return f"{header} [{arch}] does not compile freestanding:\n{p.stderr.strip()}"
        return None
    finally:
        os.unlink(tu_name)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--include-dir", required=True, type=pathlib.Path)
    ap.add_argument("--boost-dir", default="")
    ap.add_argument("--clang", default="clang++")
    ap.add_argument("--arch", action="append", choices=sorted(ARCH_FLAGS))
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    arches = args.arch or sorted(ARCH_FLAGS)

    # Only Boost goes on the include path: adding all of /usr/include would let the
    # host's libc headers stand in for the target's.
    boost_link_dir = tempfile.mkdtemp(prefix="authority-boost-")
    if args.boost_dir:
        os.symlink(os.path.join(args.boost_dir, "boost"), os.path.join(boost_link_dir, "boost"))
    args.boost_dir = boost_link_dir

    headers = list(core_headers(args.include_dir))
    problems = []
    for h in headers:
        problems += check_direct_includes(args.include_dir, h)
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(compile_header, args.clang, args.include_dir, args.boost_dir, h, a)
                   for h in headers for a in arches]
        problems += [f.result() for f in futures if f.result()]
    for p in problems:
        print(p, file=sys.stderr)
    print(f"freestanding check: {len(headers)} core headers x {len(arches)} arches, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
