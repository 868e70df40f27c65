#!/usr/bin/env python3
"""SIGHUP reloads of `authority serve`: a good policy takes effect at the next revision,
logged as a policy change before it applies; a bad one (syntax, schema) is refused, the
old policy stays in force and the daemon log says why; revocations written by `authority
cap revoke` take effect; a reload in the middle of a stream of requests disturbs none."""

import json
import signal
import threading
import time
import unittest

import serve_support as sup
from serve_support import Daemon, Line, authority

POLICY_1 = sup.POLICY
POLICY_2 = sup.POLICY.replace('"read": ["/data/**"]', '"read": ["/data/**", "/srv/**"]')


def wait_for(predicate, what, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


class ReloadTest(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(policy=POLICY_1).start()
        self.addCleanup(self.d.__exit__, None, None, None)
        self.fs = self.d.mint("fs", "/**", "read")

    def reload(self, text, expect_in_log):
        before = self.d.read_log().count("reload")
        self.d.write_policy(text)
        self.d.signal(signal.SIGHUP)
        wait_for(lambda: self.d.read_log().count("reload") > before, "the reload to be logged")
        tail = self.d.read_log().split("\n")[-10:]
        self.assertTrue(any(expect_in_log in line for line in tail), "\n".join(tail))

    def read(self, line, target):
        return line.ask({"op": "authorize", "request": {"effect": "fs.read", "target": target, "cap": self.fs}})

    def policy_changes(self):
        return [e for e in self.d.audit_entries() if e["kind"] == "policy_change"]

    def test_good_then_bad_policies(self):
        line = Line(self.d.socket)
        self.addCleanup(line.close)
        first = line.hello()
        self.assertEqual(first["policy"]["revision"], 1)
        self.assertEqual(self.read(line, "/srv/www/index.html")["reason"], "not_allowed")

        self.reload(POLICY_2, "reload: policy revision 1 -> 2")
        allowed = self.read(line, "/srv/www/index.html")  # the same session sees the new policy
        self.assertEqual(allowed["decision"], "allow", allowed)
        changes = self.policy_changes()
        self.assertEqual(len(changes), 2)
        self.assertEqual(changes[1]["request_hash"], first["policy"]["hash"])  # from …
        second_hash = changes[1]["policy_hash"]                                 # … to
        self.assertLess(changes[1]["seq"], allowed["decision_seq"])  # logged before it took effect
        decision = [e for e in self.d.audit_entries() if e["seq"] == allowed["decision_seq"]][0]
        self.assertEqual(decision["policy_hash"], second_hash)
        other = Line(self.d.socket)
        self.addCleanup(other.close)
        self.assertEqual(other.hello(agent="other")["policy"], {"revision": 2, "hash": second_hash})

        self.reload('{"version": "1.0", "fs": {"read": ["/data/**"]', "reload failed; revision 2 stays in force")
        self.assertIn("policy.json:1:", self.d.read_log().split("reload failed")[-1])
        self.reload('{"version": "1.0", "fs": {"raed": ["/data/**"]}}', 'unknown key "raed"')
        self.reload('{"version": "1.0", "fs": {"read": "/data/**"}}', "reload failed")
        self.assertEqual(self.read(line, "/srv/www/index.html")["decision"], "allow")  # revision 2 holds
        self.assertEqual(len(self.policy_changes()), 2)

        self.reload(POLICY_1, "reload: policy revision 2 -> 3")  # a failed reload used no revision number
        self.assertEqual(self.read(line, "/srv/www/index.html")["reason"], "not_allowed")
        self.assertEqual(self.d.verify().returncode, 0)

    def test_revocations_are_read_again(self):
        line = Line(self.d.socket)
        self.addCleanup(line.close)
        line.hello()
        self.assertEqual(self.read(line, "/data/a")["decision"], "allow")
        authority("cap", "revoke", "--key", self.d.keys, self.fs)
        self.reload(POLICY_1, "1 new revocations")
        denied = self.read(line, "/data/a")
        self.assertEqual((denied["decision"], denied["reason"]), ("deny", "revoked"))

    def test_a_reload_under_load_disturbs_no_request(self):
        errors, counts = [], [0, 0]

        def hammer(i):
            line = Line(self.d.socket)
            try:
                line.hello(agent=f"h{i}", run=f"{i + 1:032x}")
                end = time.monotonic() + 3
                while time.monotonic() < end:
                    r = self.read(line, "/data/x")
                    if r.get("decision") != "allow":
                        errors.append(r)
                        return
                    c = line.ask({"op": "commit", "permit": r["permit"]})
                    if c.get("reason") != "ok":
                        errors.append(c)
                        return
                    counts[i] += 1
            finally:
                line.close()

        threads = [threading.Thread(target=hammer, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        self.reload(POLICY_2, "reload: policy revision 1 -> 2")
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertTrue(all(c > 10 for c in counts), counts)
        self.assertEqual(self.d.verify().returncode, 0)


if __name__ == "__main__":
    sup.take_authority_argument()
    unittest.main(verbosity=2)
