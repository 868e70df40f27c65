#!/usr/bin/env python3
"""Installs a build into a temporary prefix and builds and runs the consumer examples
against the installed tree, out of the source tree (ctest `install_consumers`).

1. `cmake --install` into PREFIX; the tree has the headers, the libraries, the CLI, the
   CMake package and the pkg-config files, and no path back into the source or build tree.
2. The installed CLI makes a key file, a capability token and a compiled policy blob.
3. examples/consumer-c (copied out of the repository) is built with CMake's
   find_package(authority COMPONENTS c_abi) — Boost and pkg-config hidden from CMake, as
   the C ABI needs neither — by gcc and by clang with -Werror, and with
   pkg-config (authority-c); each run verifies the token, evaluates the blob, spends a
   budget and writes a two-entry audit log, which the installed CLI verifies. A blob with
   one flipped byte must make it fail.
4. examples/consumer-cpp is built with find_package(authority COMPONENTS core hosted)
   and run; its durable audit file is verified by the installed CLI as well.
"""
import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

POLICY = """{
  "version": "1.0",
  "fs": {"read": ["/data/**"], "deny": ["/data/secret/**"]},
  "budgets": {"tool_calls": 3}
}
"""


class Failure(Exception):
    pass


def run(cmd, env=None, cwd=None, expect_rc=0):
    printable = " ".join(str(c) for c in cmd)
    print(f"$ {printable}", flush=True)
    p = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True)
    if expect_rc is not None and p.returncode != expect_rc:
        raise Failure(f"exit status {p.returncode} (wanted {expect_rc}) from: {printable}\n"
                      f"--- stdout\n{p.stdout}\n--- stderr\n{p.stderr}")
    return p


def check(condition, message):
    if not condition:
        raise Failure(message)


def check_installed_tree(prefix: pathlib.Path, source: pathlib.Path, build: pathlib.Path):
    libdir = next(d for d in (prefix / "lib", prefix / "lib64") if d.is_dir())
    expected = [
        prefix / "include/authority/authority.h",
        prefix / "include/authority/gate.hpp",
        prefix / "include/authority/core/result.hpp",
        prefix / "include/authority/hosted/platform.hpp",
        prefix / "bin/authority",
        libdir / "libauthority_c.a",
        libdir / "libauthority_hosted.a",
        libdir / "libauthority_policy_text.a",
        libdir / "cmake/authority/authorityConfig.cmake",
        libdir / "cmake/authority/authorityConfigVersion.cmake",
        libdir / "cmake/authority/authority-c_abi-targets.cmake",
        libdir / "pkgconfig/authority.pc",
        libdir / "pkgconfig/authority-c.pc",
        libdir / "pkgconfig/authority-policy-text.pc",
    ]
    for path in expected:
        check(path.exists(), f"not installed: {path.relative_to(prefix)}")
    # Relocatable: nothing installed points back at the checkout or the build.
    for path in list((libdir / "cmake/authority").iterdir()) + list((libdir / "pkgconfig").iterdir()):
        text = path.read_text()
        for forbidden in (str(source), str(build)):
            check(forbidden not in text, f"{path.relative_to(prefix)} refers to {forbidden}")
    freestanding = sorted(p.relative_to(prefix).as_posix() for p in libdir.glob("authority/*/libauthority_c.a"))
    print(f"installed: {len(list(prefix.rglob('*')))} paths; freestanding C ABI: {', '.join(freestanding) or 'none'}")
    return libdir


def make_inputs(authority: pathlib.Path, work: pathlib.Path):
    keys = work / "keys"
    run([authority, "keys", "gen", "-o", keys])
    m = re.search(r"^key (\d+) active ([0-9a-f]{64})$", keys.read_text(), re.M)
    check(m, f"no active key in {keys}")
    minted = run([authority, "cap", "mint", "--key", keys, "--type", "fs", "--resource", "/data/**",
                  "--methods", "read", "--ttl", "1h"])
    token = minted.stdout.strip().splitlines()[-1]
    check(token.startswith("cap1_"), f"cap mint printed no token: {minted.stdout!r}")
    (work / "policy.json").write_text(POLICY)
    blob = work / "policy.blob"
    run([authority, "policy", "compile", work / "policy.json", "-o", blob, "--key", keys])
    return m.group(1), m.group(2), token, blob


def check_c_run(authority, exe, key_id, key_hex, token, blob, log_path):
    p = run([exe, key_id, key_hex, token, blob, log_path])
    out = p.stdout
    check("all steps as expected" in out, f"consumer-c:\n{out}")
    for line in ("capability fs read /etc/passwd: resource_not_covered",
                 "policy fs.read /data/secret/key: denied_by_rule",
                 "budget tool_calls: limit 3, committed 1, remaining 2"):
        check(line in out, f"consumer-c did not print {line!r}:\n{out}")
    head = re.search(r"audit verified: 2 entries, head ([0-9a-f]{64})", out)
    check(head, f"consumer-c did not verify its chain:\n{out}")
    # The installed CLI reads the log the C ABI wrote and finds the same head.
    verified = run([authority, "audit", "verify", log_path])
    check(head.group(1) in verified.stdout and "2 entries" in verified.stdout,
          f"`authority audit verify` disagrees: {verified.stdout}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", required=True, type=pathlib.Path)
    ap.add_argument("--source-dir", required=True, type=pathlib.Path)
    ap.add_argument("--cmake", default="cmake")
    ap.add_argument("--generator", default="Ninja")
    ap.add_argument("--c-compiler", default="cc")
    ap.add_argument("--cxx-compiler", default="c++")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="authority-install-"))
    try:
        prefix = tmp / "prefix"
        run([args.cmake, "--install", args.build_dir, "--prefix", prefix])
        libdir = check_installed_tree(prefix, args.source_dir.resolve(), args.build_dir.resolve())
        authority = prefix / "bin/authority"

        # The examples, copied out of the repository: nothing but the prefix can help them.
        src = tmp / "src"
        for name in ("consumer-c", "consumer-cpp"):
            shutil.copytree(args.source_dir / "examples" / name, src / name)
        key_id, key_hex, token, blob = make_inputs(authority, tmp)

        env = dict(os.environ)
        env.pop("CMAKE_PREFIX_PATH", None)
        env["PKG_CONFIG_PATH"] = str(libdir / "pkgconfig")

        def cmake_build(name, build, extra):
            run([args.cmake, "-S", src / name, "-B", build, "-G", args.generator, f"-DCMAKE_PREFIX_PATH={prefix}",
                 "-DCMAKE_BUILD_TYPE=Release", *extra], env=env)
            run([args.cmake, "--build", build], env=env)

        # consumer-c with CMake, by gcc and by clang, warnings as errors.
        c_compilers = [args.c_compiler] + [c for c in ("gcc", "clang") if shutil.which(c)]
        seen = set()
        for cc in c_compilers:
            real = os.path.realpath(shutil.which(cc) or cc)
            if real in seen:
                continue
            seen.add(real)
            build = tmp / f"build-c-{len(seen)}"
            # The c_abi component needs neither Boost nor libsodium: hide both from CMake.
            cmake_build("consumer-c", build, [f"-DCMAKE_C_COMPILER={cc}", "-DCMAKE_C_FLAGS=-Werror",
                                              "-DCMAKE_DISABLE_FIND_PACKAGE_Boost=ON",
                                              "-DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON"])
            check_c_run(authority, build / "consumer-c", key_id, key_hex, token, blob, tmp / f"c-{len(seen)}.log")
            print(f"consumer-c (CMake, {cc}): ok")

        # consumer-c with pkg-config only.
        flags = run(["pkg-config", "--cflags", "--libs", "authority-c"], env=env).stdout.split()
        exe = tmp / "consumer-c-pkgconfig"
        run([args.c_compiler, "-std=c11", "-Wall", "-Wextra", "-Wconversion", "-Werror", src / "consumer-c/main.c",
             *flags, "-o", exe], env=env)
        check_c_run(authority, exe, key_id, key_hex, token, blob, tmp / "c-pkgconfig.log")
        print("consumer-c (pkg-config): ok")

        # The example notices a damaged blob (so this test can fail).
        damaged = tmp / "damaged.blob"
        data = bytearray(blob.read_bytes())
        data[len(data) // 2] ^= 0x01
        damaged.write_bytes(bytes(data))
        p = run([exe, key_id, key_hex, token, damaged], expect_rc=1)
        check("policy open: policy_mac" in p.stdout, f"a damaged blob was not refused:\n{p.stdout}")
        print("consumer-c refuses a damaged blob: ok")

        # consumer-cpp with CMake.
        build = tmp / "build-cpp"
        cmake_build("consumer-cpp", build, [f"-DCMAKE_CXX_COMPILER={args.cxx_compiler}", "-DCMAKE_CXX_FLAGS=-Werror"])
        log = tmp / "cpp.log"
        p = run([build / "consumer-cpp", log])
        check("all steps as expected" in p.stdout, f"consumer-cpp:\n{p.stdout}")
        verified = run([authority, "audit", "verify", log])
        check("2 entries" in verified.stdout, f"`authority audit verify` on consumer-cpp's log: {verified.stdout}")
        print("consumer-cpp (CMake): ok")
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        print(f"(work directory kept: {tmp})", file=sys.stderr)
        return 1
    if args.keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp)
    print("install test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
