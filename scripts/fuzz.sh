#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a bounded time.
# Usage: scripts/fuzz.sh [seconds-per-target] [target-name ...]
# Each run starts from the seeds in tests/fuzz/corpus/<name>/ (plus ../shared's fuzz
# corpus where a target names one) and prints the executions it survived.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=${AUTHORITY_FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_COMPILER=clang -DAUTHORITY_BUILD_FUZZERS=ON -DAUTHORITY_BUILD_TESTS=OFF \
  -DAUTHORITY_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" -j2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$build"/fuzz/fuzz_*; do targets+=("$(basename "$f" | sed 's/^fuzz_//')"); done
fi
status=0
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  seeds=(tests/fuzz/corpus/"$t")
  extra_file=tests/fuzz/corpus/"$t".shared
  if [ -f "$extra_file" ]; then
    while read -r rel; do
      [ -d "../shared/$rel" ] && seeds+=("../shared/$rel")
    done <"$extra_file"
  fi
  existing=()
  for s in "${seeds[@]}"; do [ -d "$s" ] && existing+=("$s"); done
  log="$work/log"
  if "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 "$work" "${existing[@]}" >"$log" 2>&1; then
    execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
    echo "fuzz $t: ${seconds}s, $execs executions, no crash"
  else
    echo "fuzz $t: FAILED"; tail -40 "$log"; status=1
  fi
  rm -rf "$work"
done
exit $status
