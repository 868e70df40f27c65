#!/usr/bin/env bash
# The main job: boots the x86_64 Authority kernel through GRUB under QEMU with the
# default policy and the demo agent in its boot bundle. The kernel enforces every
# request (capability, policy, budget), streams its audit log over the serial line
# before it answers, and the host verifies that log and prints its head.
#
# Usage: scripts/run-demo.sh [extra `authority run` options, e.g. --verbose]
# Environment: AUTHORITY_BUILD_DIR (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${AUTHORITY_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
echo "run-demo: building the authority CLI and the x86_64 kernel (the first build takes a few minutes)"
cmake --build "$build" -j2 --target authority kernel_x86_64 >"$build/run-demo-build.log" 2>&1 || {
  tail -40 "$build/run-demo-build.log"
  echo "run-demo: the build failed; the whole log is $build/run-demo-build.log" >&2
  exit 1
}
echo

audit_log="$build/demo-audit.log"
status=0
"$build/authority" run --arch x86_64 \
  --policy examples/policies/default.json \
  --agent examples/agents/demo.jsonl \
  --fs examples/agents/demo-files \
  --audit-out "$audit_log" "$@" || status=$?

echo
echo "The audit log the kernel streamed, checked again by the audit tool ($audit_log):"
"$build/authority" audit verify "$audit_log" || status=$?
exit $status
