#!/usr/bin/env bash
# Runs bench_crypto with 5 repetitions and prints the medians side by side, with the
# ratios to libsodium taken from the same run.
# Usage: benchmarks/crypto_table.sh [path/to/bench_crypto] [extra benchmark args]
set -euo pipefail
bench=${1:-build/benchmarks/bench_crypto}
shift || true
json=$(mktemp)
trap 'rm -f "$json"' EXIT
"$bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$json" --benchmark_out_format=json "$@" >&2
python3 - "$json" <<'PY'
import json, sys

report = json.load(open(sys.argv[1]))
median = {b["run_name"]: b for b in report["benchmarks"] if b.get("aggregate_name") == "median"}
impls = ["portable", "x86-sha-ni", "armv8-sha2"]

# CPU time: on a shared machine wall time also counts other processes' turns.
def cpu_ns(b):
    return b["cpu_time"] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]

print(f"\nmedians of 5 repetitions, CPU time, on a {report['context'].get('num_cpus', '?')}-CPU host")

print("\nSHA-256 over 16 KiB                  MB/s   ours / libsodium")
base = median.get("sha256_16k/libsodium")
for impl in ["libsodium"] + impls:
    b = median.get(f"sha256_16k/{impl}")
    if b:
        print(f"  {impl:<33} {b['bytes_per_second'] / 1e6:6.0f}   {b['bytes_per_second'] / base['bytes_per_second']:6.2f}x")

print("\nHMAC-SHA256 of 64 bytes             ns/MAC  libsodium / ours")
base = median.get("hmac64_one_shot/libsodium")
rows = [("hmac64_one_shot/libsodium", "libsodium one-shot, 32-byte key")]
rows += [(f"hmac64_cached/{i}", f"{i}, cached key") for i in impls]
rows += [(f"hmac64_one_shot/{i}", f"{i}, key prepared each time") for i in impls]
for name, label in rows:
    b = median.get(name)
    if b:
        print(f"  {label:<33} {cpu_ns(b):6.0f}   {cpu_ns(base) / cpu_ns(b):6.2f}x")
PY
