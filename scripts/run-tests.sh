#!/usr/bin/env bash
# Runs every test (what CI runs: .ci/run), in stages; docs/testing.md says what each
# checks and how long it takes.
#   release  gcc, Release, warnings are errors: the whole ctest suite (unit, CLI,
#            daemon, C ABI, install, freestanding, kernels booted in QEMU, timing)
#   asan     clang, Debug (-O1 -g1), ASan + UBSan, warnings are errors: unit tests
#            (capability, budget, audit, policy, gate, ...) and the CLI/daemon tests
#   tsan     clang, -O1 -g1, TSan: everything concurrent (budget accounts, audit group
#            commit, the daemon's unit and load tests, SHA-256 dispatch, the C ABI's
#            concurrent reservations)
#   fuzz     scripts/fuzz.sh 10: every libFuzzer target for 10 s from its corpus
# Usage: scripts/run-tests.sh [stage ...] [-- extra ctest args]   (default: every stage)
# Build directories: $AUTHORITY_BUILD_DIR (default build) for release, build-asan,
# build-tsan, build-fuzz. A failing stage does not stop the later ones; the exit status
# is non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."

all_stages=(release asan tsan fuzz)
stages=()
ctest_extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    release | asan | tsan | fuzz) stages+=("$1") ;;
    --) shift; ctest_extra=("$@"); break ;;
    *) ctest_extra+=("$1") ;;  # the old usage: extra ctest args for every stage
  esac
  shift
done
[ ${#stages[@]} -gt 0 ] || stages=("${all_stages[@]}")

bash scripts/install-deps.sh

# Sanitized runs: stop at the first report, with stacks; leaks count (LSan is part of ASan).
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"

sanitized_common=(-G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DAUTHORITY_WERROR=ON
  -DAUTHORITY_BUILD_KERNEL=OFF -DAUTHORITY_BUILD_C_ABI_FREESTANDING=OFF -DAUTHORITY_BUILD_BENCHMARKS=OFF)

stage_release() {
  local build=${AUTHORITY_BUILD_DIR:-build}
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUTHORITY_WERROR=ON
  cmake --build "$build" -j2
  ctest --test-dir "$build" -j2 --output-on-failure ${ctest_extra[@]+"${ctest_extra[@]}"}
}

stage_asan() {
  # -O1: sanitized -O0 code is several times slower (SHA-256 above all) for no more
  # findings; -g1: line tables for the reports, a fraction of full debug info's memory.
  cmake -S . -B build-asan "${sanitized_common[@]}" -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_FLAGS_DEBUG="-O1 -g1" -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DAUTHORITY_SANITIZE=address,undefined
  cmake --build build-asan -j2
  # The long differential runs already ran whole in release; here they run shorter.
  AUTHORITY_POLICY_DIFF_CASES=200000 AUTHORITY_CAP_DIFF_CASES=50000 \
    ctest --test-dir build-asan -j2 --output-on-failure -L 'unit|cli|hosted|sanitizer' -LE constant_time \
    ${ctest_extra[@]+"${ctest_extra[@]}"}
}

stage_tsan() {
  cmake -S . -B build-tsan "${sanitized_common[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DAUTHORITY_SANITIZE=thread
  cmake --build build-tsan -j2 --target test_budget test_audit test_daemon test_crypto test_c_abi authority sanitizer_canary
  local status=0
  ctest --test-dir build-tsan -j2 --output-on-failure -L 'budget|audit|daemon|sanitizer' \
    ${ctest_extra[@]+"${ctest_extra[@]}"} || status=1
  ctest --test-dir build-tsan -j2 --output-on-failure -R 'concurrent reservations|from many threads' \
    ${ctest_extra[@]+"${ctest_extra[@]}"} || status=1
  return $status
}

stage_fuzz() {
  bash scripts/fuzz.sh 10
}

failed=()
summary=()
total_start=$(date +%s)
n=0
for stage in "${stages[@]}"; do
  n=$((n + 1))
  echo "=== stage $n: $stage ==="
  start=$(date +%s)
  # A subshell outside any condition, so that set -e holds inside the stage (a failed
  # build must not go on to test stale binaries).
  set +e
  ( set -e; "stage_$stage" )
  rc=$?
  set -e
  if [ $rc -eq 0 ]; then result=passed; else result=FAILED; failed+=("$stage"); fi
  line="stage $n $stage: $result in $(( $(date +%s) - start )) s"
  echo "=== $line ==="
  summary+=("$line")
done
echo "=== summary ==="
printf '%s\n' "${summary[@]}"
echo "total: $(( $(date +%s) - total_start )) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed stages: ${failed[*]}"
  exit 1
fi
