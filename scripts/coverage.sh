#!/usr/bin/env bash
# Line and branch coverage of the core headers (include/authority/) by the unit tests.
# Builds the Catch2 layers with clang source-based coverage (-fprofile-instr-generate
# -fcoverage-mapping) in build-coverage, runs `ctest -L unit`, merges the profiles and
# prints a per-directory table and the total for the core, then the least-covered files.
#
# Usage: scripts/coverage.sh [min-line-percent]
#   With a minimum, exits 1 when the core's line coverage is below it.
# Environment: AUTHORITY_COVERAGE_BUILD_DIR (default build-coverage), JOBS (default 2),
#   LLVM_PROFDATA / LLVM_COV (default llvm-profdata-14 / llvm-cov-14, else unversioned).
# Output: build-coverage/coverage/summary.txt (the tables), report.txt (llvm-cov's
# per-file report) and html/ (annotated sources).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AUTHORITY_COVERAGE_BUILD_DIR:-build-coverage}
jobs=${JOBS:-2}
min=${1:-}

pick() {  # first tool of the list that exists
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 && { echo "$t"; return; }; done
  echo "coverage: none of $* found (they come with the clang package)" >&2
  exit 2
}
profdata=${LLVM_PROFDATA:-$(pick llvm-profdata-14 llvm-profdata)}
llvmcov=${LLVM_COV:-$(pick llvm-cov-14 llvm-cov)}

flags="-fprofile-instr-generate -fcoverage-mapping"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fprofile-instr-generate" \
  -DAUTHORITY_BUILD_TESTS=ON -DAUTHORITY_BUILD_BENCHMARKS=OFF -DAUTHORITY_BUILD_FUZZERS=OFF -DAUTHORITY_WERROR=ON >/dev/null

# The unit-test binaries: one per layer folder with *.test.cpp / *.selftest.cpp.
targets=()
for dir in tests/*/; do
  layer=$(basename "$dir")
  compgen -G "$dir*.test.cpp" >/dev/null || compgen -G "$dir*.selftest.cpp" >/dev/null || continue
  targets+=("test_$layer")
done
cmake --build "$build" -j"$jobs" --target "${targets[@]}"

out="$build/coverage"
rm -rf "$out" && mkdir -p "$out/profiles"
# %m: one file per binary signature, merged across its processes; %p keeps concurrent
# processes apart.
LLVM_PROFILE_FILE="$PWD/$out/profiles/%p-%m.profraw" ctest --test-dir "$build" -L unit -j"$jobs" \
  --output-on-failure >"$out/ctest.log" 2>&1 || {
  echo "coverage: some unit tests failed (figures below still count what ran); see $out/ctest.log"
  tail -5 "$out/ctest.log"
}
"$profdata" merge -sparse "$out"/profiles/*.profraw -o "$out/all.profdata"

objects=()
for t in "${targets[@]}"; do
  [ -x "$build/tests/$t" ] && objects+=(-object "$build/tests/$t")
done
[ ${#objects[@]} -gt 0 ] || { echo "coverage: no test binaries in $build" >&2; exit 2; }
# The first object goes without -object.
first=${objects[1]}
rest=("${objects[@]:2}")
include_dir="$PWD/include/authority/"
"$llvmcov" export -summary-only -instr-profile="$out/all.profdata" "$first" "${rest[@]}" \
  >"$out/export.json"
"$llvmcov" report -show-branch-summary -instr-profile="$out/all.profdata" "$first" "${rest[@]}" \
  "$include_dir" >"$out/report.txt"
"$llvmcov" show -format=html -output-dir="$out/html" -instr-profile="$out/all.profdata" "$first" "${rest[@]}" \
  "$include_dir" >/dev/null 2>&1 || true

python3 - "$out/export.json" "$include_dir" "$min" <<'EOF' | tee "$out/summary.txt"
import json, sys, collections
data = json.load(open(sys.argv[1]))
root, minimum = sys.argv[2], sys.argv[3]
dirs = collections.OrderedDict()
files = []
tot = [0, 0, 0, 0]  # lines covered, lines, branches covered, branches
for f in data["data"][0]["files"]:
    name = f["filename"]
    if not name.startswith(root):
        continue
    rel = name[len(root):]
    d = rel.rsplit("/", 1)[0] if "/" in rel else "."
    s = f["summary"]
    v = [s["lines"]["covered"], s["lines"]["count"], s["branches"]["covered"], s["branches"]["count"]]
    acc = dirs.setdefault(d, [0, 0, 0, 0, 0])
    for i in range(4):
        acc[i] += v[i]
        tot[i] += v[i]
    acc[4] += 1
    files.append((rel, v))
pct = lambda a, b: (100.0 * a / b) if b else 100.0
print("coverage of include/authority/ by the unit tests (ctest -L unit)")
print(f"{'directory':<22} {'files':>5} {'lines':>15} {'line %':>7} {'branches':>15} {'branch %':>8}")
for d, (lc, l, bc, b, n) in sorted(dirs.items()):
    print(f"{d:<22} {n:>5} {f'{lc}/{l}':>15} {pct(lc, l):>6.1f}% {f'{bc}/{b}':>15} {pct(bc, b):>7.1f}%")
print(f"{'TOTAL (core)':<22} {len(files):>5} {f'{tot[0]}/{tot[1]}':>15} {pct(tot[0], tot[1]):>6.1f}% "
      f"{f'{tot[2]}/{tot[3]}':>15} {pct(tot[2], tot[3]):>7.1f}%")
print()
print("least-covered files (lines):")
for rel, v in sorted(files, key=lambda x: (pct(x[1][0], x[1][1]), -x[1][1]))[:12]:
    print(f"  {rel:<45} {pct(v[0], v[1]):>6.1f}%  ({v[1] - v[0]} lines not run)")
if minimum and pct(tot[0], tot[1]) < float(minimum):
    print(f"coverage: {pct(tot[0], tot[1]):.1f}% lines is below the minimum {minimum}%")
    sys.exit(1)
EOF
echo "coverage: per-file report $out/report.txt, annotated sources $out/html/index.html"
