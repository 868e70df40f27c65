#!/usr/bin/env python3
"""kill -9 of clients of `authority serve` mid-stream.

A client process authorizes effects as fast as it can, commits two of every three and
leaves the third pending, and prints every seq the daemon acknowledged. It is killed with
SIGKILL while requests are in flight. Then:

- every seq it was told is in the log, as what it was told (nothing acknowledged is lost);
- every allowed decision of its run has exactly one outcome: the committed ones "ok", the
  pending ones — including a decision logged for a request whose answer never arrived —
  "abandoned";
- a client killed in the middle of writing a line leaves nothing behind;
- the daemon goes on serving, and the chain verifies.
"""

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import unittest

import serve_support as sup
from serve_support import Daemon, Line

CLIENT = textwrap.dedent("""
    import json, socket, sys
    path, cap, run = sys.argv[1:4]
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    f = s.makefile("rwb")
    def ask(obj):
        f.write(json.dumps(obj).encode() + b"\\n"); f.flush()
        return json.loads(f.readline())
    ask({"op": "hello", "agent": "doomed", "run": run})
    i = 0
    while True:
        i += 1
        r = ask({"op": "authorize", "request": {"effect": "fs.read", "target": f"/data/{i}", "cap": cap}})
        print("decision", r["decision_seq"], r["decision"], flush=True)
        if i % 3:
            c = ask({"op": "commit", "permit": r["permit"], "result": str(i)})
            print("outcome", c["outcome_seq"], "allow", flush=True)
""")

RUN = "dd" * 16


class KillTest(unittest.TestCase):
    def test_kill_9_mid_stream_loses_nothing_acknowledged(self):
        with Daemon() as d:
            cap = d.mint("fs", "/data/**", "read")
            child = subprocess.Popen([sys.executable, "-c", CLIENT, d.socket, cap, RUN], stdout=subprocess.PIPE, text=True)
            told = []
            for line in child.stdout:
                kind, seq, verdict = line.split()
                told.append((int(seq), kind, verdict))
                if len(told) >= 250:  # ~50 pending: below --max-pending (64)
                    break
            child.send_signal(signal.SIGKILL)  # with its next request on the wire
            child.wait()
            for line in child.stdout:  # answers printed before it died (whole lines only)
                if line.endswith("\n"):
                    kind, seq, verdict = line.split()
                    told.append((int(seq), kind, verdict))
            child.stdout.close()

            def settled():
                entries = [e for e in d.audit_entries() if e["run_id"] == RUN]
                allowed = [e for e in entries if e["kind"] == "decision" and e["decision"] == "allow"]
                return entries if len([e for e in entries if e["kind"] == "outcome"]) == len(allowed) else None

            deadline = time.monotonic() + 10
            while not settled() and time.monotonic() < deadline:
                time.sleep(0.05)
            entries = settled()
            self.assertIsNotNone(entries, "the pending permits were not completed")

            by_seq = {e["seq"]: e for e in entries}
            for seq, kind, verdict in told:
                self.assertIn(seq, by_seq, f"acknowledged seq {seq} is not in the log")
                self.assertEqual((by_seq[seq]["kind"], by_seq[seq]["decision"]), (kind, verdict))

            outcomes = {}
            for e in entries:
                if e["kind"] == "outcome":
                    self.assertNotIn(e["request_hash"], outcomes, "two outcomes for one decision")
                    outcomes[e["request_hash"]] = e
            committed = {seq for seq, kind, _ in told if kind == "outcome"}
            abandoned = 0
            for e in entries:
                if e["kind"] != "decision":
                    continue
                outcome = outcomes[e["request_hash"]]
                if outcome["seq"] in committed:
                    self.assertEqual(outcome["reason"], "ok")
                else:
                    self.assertEqual(outcome["reason"], "abandoned")
                    abandoned += 1
            self.assertGreaterEqual(abandoned, 50)  # every third permit was left pending
            self.assertIn("completed as abandoned", d.read_log())

            # Killed while writing a line: nothing of it is judged or logged.
            before = len(d.audit_entries())
            half = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
                import socket, sys, time
                s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
                s.sendall(b'{"op":"hello","agent":"half","run":"' + b"e" * 32 + b'"}\\n{"op":"authorize","request":{"eff')
                print("sent", flush=True); time.sleep(60)
            """), d.socket], stdout=subprocess.PIPE, text=True)
            self.assertEqual(half.stdout.readline().strip(), "sent")
            half.send_signal(signal.SIGKILL)
            half.wait()
            half.stdout.close()

            line = Line(d.socket)  # the daemon goes on
            line.hello(agent="survivor")
            r = line.ask({"op": "authorize", "request": {"effect": "fs.read", "target": "/data/after", "cap": cap}})
            self.assertEqual(r["decision"], "allow")
            self.assertEqual(r["decision_seq"], before + 1)
            line.close()
            self.assertEqual(d.verify().returncode, 0)

    def test_kill_9_of_the_daemon_keeps_every_acknowledged_decision(self):
        d = Daemon()
        d.start()
        try:
            cap = d.mint("fs", "/data/**", "read")
            clients = [subprocess.Popen([sys.executable, "-c", CLIENT, d.socket, cap, f"{i + 1:032x}"],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                       for i in range(4)]
            told = []
            for line in clients[0].stdout:
                told.append(int(line.split()[1]))
                if len(told) >= 60:
                    break
            d.proc.send_signal(signal.SIGKILL)  # the daemon dies with requests in flight
            d.proc.wait()
            for c in clients:
                out, _ = c.communicate(timeout=30)  # they see the connection close
                told += [int(l.split()[1]) for l in out.splitlines() if l.endswith(("allow", "deny"))]
            verified = d.verify()
            last = int(re.search(r"(?:OK: |entries 1-)(\d+)", verified.stdout + verified.stderr).group(1))
            self.assertLessEqual(max(told), last, verified.stdout + verified.stderr)
            # Restarted on the same log, it resumes the chain after the last durable entry.
            d.start()
            line = Line(d.socket)
            line.hello(agent="after-crash")
            r = line.ask({"op": "authorize", "request": {"effect": "fs.read", "target": "/data/z", "cap": cap}})
            line.close()
            self.assertGreater(r["decision_seq"], max(told))
            d.stop()
            self.assertEqual(d.verify().returncode, 0)  # the torn tail was cut at the restart
        finally:
            d.__exit__(None, None, None)


if __name__ == "__main__":
    sup.take_authority_argument()
    unittest.main(verbosity=2)
