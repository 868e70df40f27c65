#!/bin/sh
# Instructions per call, from callgrind: stable where wall-clock medians on a shared
# machine are not. Runs one benchmark of a Google Benchmark program under callgrind and
# prints, for every function whose name contains one of the given words, how often it
# was called and its inclusive instruction count per call. The benchmark programs call
# the measured operation through an out-of-line *_once function for this.
#   benchmarks/callgrind.sh build/benchmarks/bench_capability verify_4_caveats_warm verify_once
# MIN_TIME=<seconds> sets --benchmark_min_time (default 0.01; time runs ~50x slower under callgrind).
set -eu
if [ $# -lt 3 ]; then
  echo "usage: $0 <bench program> <benchmark filter> <function name part>..." >&2
  exit 2
fi
program=$1
filter=$2
shift 2
out=$(mktemp /tmp/callgrind.XXXXXX)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" "$program" \
  --benchmark_filter="$filter" --benchmark_min_time="${MIN_TIME:-0.01}" >/dev/null 2>&1
python3 - "$out" "$@" <<'EOF'
import re, sys
path, wanted = sys.argv[1], sys.argv[2:]
names = {}        # compressed id -> name, for fn= and cfn= lines
calls = {}        # callee name -> [calls, inclusive Ir]
callee = None
pending = 0
def name_of(spec):
    m = re.match(r"\((\d+)\)(?: (.*))?", spec)
    if not m:
        return spec
    if m.group(2) is not None:
        names[m.group(1)] = m.group(2)
    return names[m.group(1)]
with open(path) as f:
    for line in f:
        line = line.rstrip("\n")
        if line.startswith("cfn="):
            callee = name_of(line[4:])
        elif line.startswith("fn="):
            name_of(line[3:])
        elif line.startswith("calls="):
            pending = int(line[6:].split()[0])
        elif pending and line and (line[0].isdigit() or line[0] in "+-*"):
            ir = int(line.split()[1])
            entry = calls.setdefault(callee, [0, 0])
            entry[0] += pending
            entry[1] += ir
            pending = 0
for name, (n, ir) in sorted(calls.items()):
    if any(w in name for w in wanted) and n > 0:
        print(f"{ir / n:10.0f} Ir/call  {n:8d} calls  {name}")
EOF
