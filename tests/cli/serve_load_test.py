#!/usr/bin/env python3
"""Load test of `authority serve`: 32 concurrent clients × 10,000 requests each.

Each client is its own process with its own session (agent, run) and loops: authorize
an allowed effect, commit it, and every fifth time also authorize one the policy denies
(an odd request left at the end is an audit_head, which is not logged).
It records every acknowledged audit seq (decision seqs from authorize, outcome seqs from
commit) and the latency of every request. Afterwards:

- `authority audit verify` accepts the whole chain;
- every acknowledged seq is in the log exactly once, as the entry the client was told
  (kind, verdict, its own run id), no two answers share a seq, and the log holds nothing
  else but the start-up policy change: nothing lost, nothing duplicated;
- latency percentiles (p50, p99, max) and throughput are printed.

The audit log goes on tmpfs (/dev/shm) when there is one, so the test measures the daemon
rather than the disk: on the CI disk one fdatasync takes ~5 ms, which alone would make a
client's 10,000 sequential round trips take ≥ 50 s. --dir puts it elsewhere (e.g. on disk,
with fewer --requests) to measure the durable path; the daemon calls fdatasync either way.
"""

import argparse
import array
import json
import multiprocessing
import os
import shutil
import socket
import sys
import tempfile
import time

import serve_support as sup
from serve_support import Daemon, authority


def client_process(index, socket_path, caps, requests, out_queue):
    fs, deny_fs = caps
    run = f"{index + 1:032x}"
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(120)
    sock.connect(socket_path)
    reader = sock.makefile("rb")
    latencies = array.array("Q")
    acked = []  # (seq, kind, verdict)
    errors = []

    def ask(obj):
        data = json.dumps(obj, separators=(",", ":")).encode() + b"\n"
        t0 = time.perf_counter_ns()
        sock.sendall(data)
        line = reader.readline()
        latencies.append(time.perf_counter_ns() - t0)
        if not line:
            raise ConnectionError("daemon closed the connection")
        return json.loads(line)

    hello = ask({"op": "hello", "agent": f"load-{index}", "run": run})
    if not hello.get("ok"):
        errors.append(hello)
    sent = 1
    i = 0
    while sent < requests and not errors:
        if requests - sent == 1:  # no room for authorize + commit: an unlogged request ends the run
            h = ask({"op": "audit_head"})
            sent += 1
            if not h.get("ok"):
                errors.append(h)
            break
        i += 1
        r = ask({"op": "authorize", "request": {"effect": "fs.read", "target": f"/data/c{index}/f{i}", "cap": fs,
                                                 "cost": {"file_bytes": 100}}})
        sent += 1
        if r.get("decision") != "allow":
            errors.append(r)
            break
        acked.append((r["decision_seq"], "decision", "allow"))
        c = ask({"op": "commit", "permit": r["permit"], "cost": {"file_bytes": 64}, "result": f"r{i}"})
        sent += 1
        if c.get("reason") != "ok":
            errors.append(c)
            break
        acked.append((c["outcome_seq"], "outcome", "allow"))
        if i % 5 == 0 and sent < requests:
            d = ask({"op": "authorize", "request": {"effect": "fs.write", "target": "/etc/passwd", "cap": deny_fs}})
            sent += 1
            if d.get("decision") != "deny" or d.get("reason") != "not_allowed":
                errors.append(d)
                break
            acked.append((d["decision_seq"], "decision", "deny"))
    sock.close()
    out_queue.put((index, run, sent, acked, latencies.tobytes(), errors))


def percentile(sorted_values, p):
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values))) - 1))
    return sorted_values[k]


def main():
    sup.take_authority_argument()
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--requests", type=int, default=10_000, help="requests per client (hello included)")
    ap.add_argument("--dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                    help="where the daemon's files go (default: /dev/shm when present)")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="authority-load-", dir=args.dir)
    with Daemon(workdir=work, extra=["--max-connections", str(args.clients + 4)]) as d:
        caps = (d.mint("fs", "/data/**", "read"), d.mint("fs", "/**", "write"))
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        procs = [ctx.Process(target=client_process, args=(i, d.socket, caps, args.requests, queue))
                 for i in range(args.clients)]
        start = time.perf_counter()
        for p in procs:
            p.start()
        results = [queue.get(timeout=600) for _ in procs]
        elapsed = time.perf_counter() - start
        for p in procs:
            p.join()
        stop_status = d.stop()
        log = d.read_log()

    failures = []
    for index, run, sent, acked, lat, errors in results:
        if errors:
            failures.append(f"client {index}: unexpected answer {errors[0]}")
        if sent != args.requests:
            failures.append(f"client {index}: sent {sent} of {args.requests} requests")

    verify = authority("audit", "verify", d.audit, check=False)
    if verify.returncode != 0:
        failures.append("audit verify failed: " + verify.stdout + verify.stderr)
    entries = d.audit_entries()
    by_seq = {}
    for e in entries:
        if e["seq"] in by_seq:
            failures.append(f"seq {e['seq']} appears twice in the log")
        by_seq[e["seq"]] = e
    if sorted(by_seq) != list(range(1, len(entries) + 1)):
        failures.append("the log's seqs are not 1..N")

    acknowledged = 0
    seen = set()
    for index, run, sent, acked, lat, errors in results:
        for seq, kind, verdict in acked:
            acknowledged += 1
            if seq in seen:
                failures.append(f"seq {seq} was acknowledged twice")
            seen.add(seq)
            e = by_seq.get(seq)
            if e is None:
                failures.append(f"client {index}: acknowledged seq {seq} is not in the log (lost)")
            elif (e["kind"], e["decision"], e["run_id"]) != (kind, verdict, run):
                failures.append(f"client {index}: seq {seq} is {e['kind']}/{e['decision']}/{e['run_id']}, "
                                f"not the {kind}/{verdict} it was told")
    others = [e for s, e in by_seq.items() if s not in seen]
    if [e["kind"] for e in others] != ["policy_change"]:
        failures.append(f"{len(others)} log entries nobody was told about: {[e['kind'] for e in others][:5]}")

    lat_ns = array.array("Q")
    for r in results:
        lat_ns.frombytes(r[4])
    lat = sorted(lat_ns)
    total = len(lat)
    print(f"{args.clients} clients x {args.requests} requests = {total} requests in {elapsed:.1f} s "
          f"({total / elapsed:,.0f} requests/s), audit log in {args.dir or tempfile.gettempdir()}")
    print(f"latency: p50 {percentile(lat, 50) / 1e6:.2f} ms, p90 {percentile(lat, 90) / 1e6:.2f} ms, "
          f"p99 {percentile(lat, 99) / 1e6:.2f} ms, max {lat[-1] / 1e6:.2f} ms")
    print(f"audit log: {len(entries)} entries, {acknowledged} acknowledged to clients, all present once; "
          f"{verify.stdout.strip()}")
    if stop_status != 0:
        failures.append(f"daemon exit status {stop_status}: {log}")
    if not os.environ.get("AUTHORITY_KEEP_TEST_DIRS"):
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures[:20]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
