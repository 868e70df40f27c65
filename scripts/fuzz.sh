#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, warnings as errors) and runs each for a
# bounded time, one process per target, one target after the other.
#
# Usage: scripts/fuzz.sh [seconds-per-target] [target-name ...]
#   scripts/fuzz.sh 15            CI: every target for 15 s
#   scripts/fuzz.sh 3600          a long campaign: an hour per target
#   scripts/fuzz.sh 600 bundle daemon
#   scripts/fuzz.sh 0             build only
#
# Each run starts from the seeds in tests/fuzz/corpus/<name>/ (plus ../shared's fuzz
# corpus where tests/fuzz/corpus/<name>.shared names one) and works in a scratch copy:
# the committed corpus is never written. Per target it prints the executions survived,
# libFuzzer's final coverage (cov: edges, ft: features, corpus size) and exec/s; a
# summary table follows. A crash, leak, timeout or failed property stops that target:
# its log tail and the reproducer are printed and the script exits 1 after the others.
#
# Environment:
#   AUTHORITY_FUZZ_BUILD_DIR   build directory (default build-fuzz)
#   AUTHORITY_FUZZ_KEEP        a directory: each target's grown corpus and log are kept
#                              there (<dir>/<target>/corpus, <dir>/<target>/log) — the
#                              input for a later -merge=1 into the committed corpus
#   AUTHORITY_FUZZ_JOBS        build parallelism (default 2)
#   AUTHORITY_FUZZ_RSS_MB      libFuzzer -rss_limit_mb (default 4096)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
case "$seconds" in '' | *[!0-9]*) echo "fuzz.sh: seconds must be a whole number, got '$seconds'" >&2; exit 2 ;; esac
build=${AUTHORITY_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${AUTHORITY_FUZZ_JOBS:-2}
rss=${AUTHORITY_FUZZ_RSS_MB:-4096}
keep=${AUTHORITY_FUZZ_KEEP:-}

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (scripts/install-deps.sh installs clang)" >&2; exit 2; }

# The targets: one per tests/fuzz/*.fuzz.cpp.
available=()
for f in tests/fuzz/*.fuzz.cpp; do available+=("$(basename "$f" .fuzz.cpp)"); done
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${available[@]}")
for t in "${targets[@]}"; do
  [ -f "tests/fuzz/$t.fuzz.cpp" ] || { echo "fuzz.sh: no target '$t' (targets: ${available[*]})" >&2; exit 2; }
done

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_COMPILER=clang -DAUTHORITY_BUILD_FUZZERS=ON -DAUTHORITY_BUILD_TESTS=OFF \
  -DAUTHORITY_BUILD_BENCHMARKS=OFF -DAUTHORITY_WERROR=ON >/dev/null
build_targets=()
for t in "${targets[@]}"; do build_targets+=("fuzz_$t"); done
cmake --build "$build" -j"$jobs" --target "${build_targets[@]}"
# 0 s: build only (libFuzzer would read -max_total_time=0 as "no limit").
if [ "$seconds" -eq 0 ]; then
  echo "fuzz.sh: built ${build_targets[*]} in $build/fuzz"
  exit 0
fi

# One line of libFuzzer's last status line: "#N DONE cov: C ft: F corp: K/Sb ...".
field() { grep -Eo "$1: *[0-9]+" <<<"$2" | tail -1 | grep -Eo '[0-9]+$' || echo '?'; }

status=0
summary=()
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  corpus="$work/corpus"
  mkdir -p "$corpus"
  seeds=(tests/fuzz/corpus/"$t")
  extra_file=tests/fuzz/corpus/"$t".shared
  if [ -f "$extra_file" ]; then
    while read -r rel; do
      [ -n "$rel" ] && [ -d "../shared/$rel" ] && seeds+=("../shared/$rel")
    done <"$extra_file"
  fi
  existing=()
  for s in "${seeds[@]}"; do [ -d "$s" ] && existing+=("$s"); done
  log="$work/log"
  # -artifact_prefix: a crash lands in the scratch dir (printed below), not in the cwd.
  if "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb="$rss" \
    -timeout=25 -artifact_prefix="$work/" "$corpus" "${existing[@]}" >"$log" 2>&1; then
    result="ok"
  else
    result="FAILED"
    status=1
  fi
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
  speed=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(field cov "$last")
  ft=$(field ft "$last")
  corp=$(grep -Eo 'corp: *[0-9]+' <<<"$last" | grep -Eo '[0-9]+$' || echo '?')
  if [ "$result" = ok ]; then
    echo "fuzz $t: ${seconds}s, $execs executions, no crash; cov $cov edges, ft $ft features, corpus $corp, $speed exec/s"
  else
    echo "fuzz $t: FAILED after $execs executions"
    tail -40 "$log"
    for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
      [ -e "$a" ] || continue
      mkdir -p "$build/artifacts"
      cp "$a" "$build/artifacts/$t-$(basename "$a")"
      echo "fuzz $t: reproducer $build/artifacts/$t-$(basename "$a"): $build/fuzz/fuzz_$t $build/artifacts/$t-$(basename "$a")"
    done
  fi
  summary+=("$(printf '%-14s %-6s %14s %8s %8s %7s %9s' "$t" "$result" "$execs" "$cov" "$ft" "$corp" "$speed")")
  if [ -n "$keep" ]; then
    mkdir -p "$keep/$t"
    rm -rf "$keep/$t/corpus"
    mv "$corpus" "$keep/$t/corpus"
    cp "$log" "$keep/$t/log"
  fi
  rm -rf "$work"
done

echo
printf '%-14s %-6s %14s %8s %8s %7s %9s\n' target result executions cov ft corpus exec/s
printf '%s\n' "${summary[@]}"
echo "(${seconds}s per target; cov/ft/corpus: libFuzzer's figures at the end of the run)"
exit $status
