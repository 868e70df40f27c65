#!/usr/bin/env bash
# Minimizes a fuzz target's committed corpus: the committed seeds plus any grown corpora
# (e.g. AUTHORITY_FUZZ_KEEP=/tmp/keep scripts/fuzz.sh 600 → /tmp/keep/<t>/corpus) go
# through libFuzzer's -merge=1 (edges only: -use_counters=0), then a greedy set cover over
# the merge's control file keeps at most N inputs, each adding the most edges not yet
# covered. Hand-named files (examples, regression-* reproducers of findings: any name
# that is not libFuzzer's 40-hex-digit content hash) are always kept, and the
# shared reference seeds (<t>.shared) are not copied in, since the runs read them anyway.
#
# Usage: scripts/fuzz-minimize.sh <target> [max-files] [grown-corpus-dir ...]
#   scripts/fuzz-minimize.sh bundle 48 /tmp/keep/bundle/corpus
# Prints the edges of the full merge and of the kept subset. Needs build-fuzz (fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:?usage: fuzz-minimize.sh <target> [max-files] [grown-corpus-dir ...]}
max=${2:-48}
shift 2 || shift $#
build=${AUTHORITY_FUZZ_BUILD_DIR:-build-fuzz}
bin="$build/fuzz/fuzz_$t"
[ -x "$bin" ] || { echo "fuzz-minimize: $bin missing; run scripts/fuzz.sh 0 $t first" >&2; exit 2; }
committed=tests/fuzz/corpus/$t
mkdir -p "$committed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/out" "$work/in"
cp "$committed"/* "$work/in/" 2>/dev/null || true
inputs=("$work/in")
for d in "$@"; do [ -d "$d" ] && inputs+=("$d"); done
"$bin" -merge=1 -use_counters=0 -merge_control_file="$work/control" "$work/out" "${inputs[@]}" >"$work/log" 2>&1 || {
  tail -20 "$work/log"
  exit 1
}

python3 - "$work/control" "$committed" "$max" <<'EOF'
import os, shutil, sys
control, committed, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(control).read().split("\n")
n = int(lines[0])
files = lines[2:2 + n]
cov = {}
for line in lines[2 + n:]:
    parts = line.split()
    if len(parts) >= 2 and parts[0] == "COV":
        cov[int(parts[1])] = set(parts[2:])
import re
hashed = re.compile(r"^[0-9a-f]{40}$")
# Hand-named seeds (examples, regression-* reproducers) stay; the rest compete.
named = lambda f: not hashed.match(os.path.basename(f))
keep = []
seen = set()
for i, f in enumerate(files):
    if named(f) and os.path.basename(f) not in seen and i in cov:
        keep.append(i)
        seen.add(os.path.basename(f))
covered = set()
for i in keep:
    covered |= cov.get(i, set())
everything = set().union(*cov.values()) if cov else set()
candidates = [i for i in cov if i not in keep]
regressions = len(keep)
while len(keep) < limit + regressions:
    best, gain = None, 0
    for i in candidates:
        g = len(cov[i] - covered)
        if g > gain or (g == gain and g > 0 and os.path.getsize(files[i]) < os.path.getsize(files[best])):
            best, gain = i, g
    if best is None or gain == 0:
        break
    keep.append(best)
    covered |= cov[best]
    candidates.remove(best)
# Replace the committed corpus with the kept inputs (content-addressed names, except
# the hand-named ones, which keep theirs).
import hashlib
chosen = {}
for i in keep:
    data = open(files[i], "rb").read()
    name = os.path.basename(files[i]) if named(files[i]) else hashlib.sha1(data).hexdigest()
    chosen[name] = data
for f in os.listdir(committed):
    os.remove(os.path.join(committed, f))
for name, data in chosen.items():
    open(os.path.join(committed, name), "wb").write(data)
print(f"fuzz-minimize: {os.path.basename(committed)}: {len(files)} inputs, {len(everything)} edges in all; "
      f"kept {len(chosen)} files covering {len(covered)} edges "
      f"({100.0 * len(covered) / max(1, len(everything)):.1f}%)")
EOF
