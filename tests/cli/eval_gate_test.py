#!/usr/bin/env python3
"""`authority eval --key K --audit LOG`: request lines through the full gate (capability,
policy, budget, durable audit log), checked from outside: the answers, and the log that
`authority audit` reads back."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

AUTHORITY = os.environ.get("AUTHORITY_BIN", "authority")

POLICY = {
    "version": "1.0",
    "fs": {"read": ["/data/**"], "write": ["/data/out/**"], "deny": ["/data/secret/**"]},
    "tools": {"allow": ["search"]},
    "budgets": {"tool_calls": 2},
}


def run(*args, stdin=None):
    return subprocess.run([AUTHORITY, *args], capture_output=True, text=True, input=stdin)


class EvalGate(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        d = self.dir.name
        self.key = os.path.join(d, "keys")
        self.log = os.path.join(d, "audit.log")
        self.policy = os.path.join(d, "policy.json")
        with open(self.policy, "w") as f:
            json.dump(POLICY, f)
        self.assertEqual(run("keys", "gen", "-o", self.key).returncode, 0)
        self.fs = self.mint("--type", "fs", "--resource", "/data/**", "--methods", "read,write")
        self.tool = self.mint("--type", "tool", "--resource", "*", "--methods", "call")

    def tearDown(self):
        self.dir.cleanup()

    def mint(self, *args):
        r = run("cap", "mint", "--key", self.key, *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip().splitlines()[-1]

    def eval(self, lines, *extra):
        text = "".join(json.dumps(l) + "\n" for l in lines)
        r = run("eval", "--policy", self.policy, "--key", self.key, "--audit", self.log, *extra, stdin=text)
        self.assertIn(r.returncode, (0, 1), r.stderr)
        return r, [json.loads(l) for l in r.stdout.splitlines()]

    def audit(self):
        r = run("audit", "show", "--json", self.log)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]

    def test_allowed_effects_run_and_every_decision_is_on_the_log(self):
        r, out = self.eval([
            {"effect": "fs.write", "target": "/data/out/a.txt", "payload": "hello", "cap": self.fs},
            {"effect": "fs.read", "target": "/data/out/a.txt", "cap": self.fs},
            {"effect": "fs.read", "target": "/data/secret/key", "cap": self.fs},
            {"effect": "fs.read", "target": "/etc/passwd"},
        ])
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual([o["decision"] for o in out], ["allow", "allow", "deny", "deny"])
        self.assertEqual(out[2]["reason"], "denied_by_rule")
        self.assertRegex(out[2]["rule"], r"policy\.json:\d+:\d+$")
        self.assertEqual(out[3]["reason"], "missing_capability")
        self.assertIn("authority cap mint", out[3]["suggestion"])
        # Allowed: a decision and an outcome entry; denied: the decision only.
        self.assertTrue(all(o["outcome_seq"] == o["decision_seq"] + 1 for o in out[:2]))
        self.assertTrue(all(o["outcome_seq"] == 0 and o["decision_seq"] > 0 for o in out[2:]))
        v = run("audit", "verify", self.log)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        entries = self.audit()
        seqs = {e["seq"] for e in entries}
        for o in out:
            self.assertIn(o["decision_seq"], seqs)
        self.assertEqual(len(entries), 1 + 2 * 2 + 2)  # the policy change, 2 allowed, 2 denied

    def test_forged_and_revoked_tokens_are_denied(self):
        forged = self.fs[:-3] + ("A" if self.fs[-3] != "A" else "B") + self.fs[-2:]
        revoked = self.mint("--type", "fs", "--resource", "/data/**", "--methods", "read")
        self.assertEqual(run("cap", "revoke", "--key", self.key, revoked).returncode, 0)
        _, out = self.eval([
            {"effect": "fs.read", "target": "/data/a", "cap": forged},
            {"effect": "fs.read", "target": "/data/a", "cap": revoked},
            {"effect": "net.connect", "target": "dns:api.example.com:443", "cap": self.fs},
        ])
        self.assertEqual(out[0]["decision"], "deny")
        self.assertIn(out[0]["reason"], ("bad_mac", "malformed_token", "invalid_token"))
        self.assertEqual(out[1]["reason"], "revoked")
        self.assertEqual(out[2]["reason"], "wrong_type")

    def test_budget_is_enforced_across_the_stream_and_per_session(self):
        call = {"effect": "tool.call", "target": "search", "cap": self.tool}
        other_run = dict(call, run="00112233445566778899aabbccddeeff")
        _, out = self.eval([call, call, call, other_run])
        self.assertEqual([o["decision"] for o in out], ["allow", "allow", "deny", "allow"])
        self.assertEqual(out[2]["reason"], "budget_exceeded")
        self.assertIn("tool_calls: needs 1, 0 left of 2", out[2]["missing"])

    def test_replayed_sequence_numbers_are_denied(self):
        line = {"effect": "fs.read", "target": "/data/a", "cap": self.fs, "seq": 5}
        _, out = self.eval([line, line, dict(line, seq=4), dict(line, seq=6)])
        self.assertEqual([o["reason"] for o in out][1:3], ["sequence_replay", "sequence_order"])
        self.assertEqual(out[3]["decision"], "allow")

    def test_record_mode_allows_and_logs_what_enforce_would_deny(self):
        _, out = self.eval([{"effect": "fs.write", "target": "/data/in/x", "cap": self.fs}], "--mode", "record")
        self.assertEqual(out[0]["decision"], "allow")
        self.assertTrue(out[0]["recorded"])
        self.assertIsNotNone(out[0]["suggestion"])

    def test_a_second_run_continues_the_same_chain(self):
        line = {"effect": "fs.read", "target": "/data/a", "cap": self.fs}
        _, first = self.eval([line])
        _, second = self.eval([line])
        self.assertGreater(second[0]["decision_seq"], first[0]["outcome_seq"])
        self.assertEqual(run("audit", "verify", self.log).returncode, 0)

    def test_bad_lines_get_errors_and_the_rest_is_still_judged(self):
        r, out = self.eval([
            {"effect": "fs.raed", "target": "/data/a"},
            {"effect": "fs.read", "target": "/data/a", "cap": "cap1_notatoken"},
            {"effect": "fs.exec", "target": "/bin/sh"},
            {"effect": "fs.read", "target": "/data/a", "cap": self.fs},
        ])
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown effect", out[0]["error"])
        self.assertIn("not a capability token", out[1]["error"])
        self.assertIn("policy operation", out[2]["error"])
        self.assertEqual(out[3]["decision"], "allow")

    def test_fs_seeds_the_in_memory_world_the_effects_act_on(self):
        seed = os.path.join(self.dir.name, "seed", "data")
        os.makedirs(seed)
        with open(os.path.join(seed, "a.txt"), "w") as f:
            f.write("contents")
        lines = [{"effect": "fs.read", "target": "/data/a.txt", "cap": self.fs},
                 {"effect": "fs.read", "target": "/data/missing.txt", "cap": self.fs}]
        _, out = self.eval(lines, "--fs", os.path.dirname(seed))
        self.assertEqual([o["decision"] for o in out], ["allow", "allow"])
        self.assertIsNone(out[0]["effect_status"])
        self.assertEqual(out[1]["effect_status"], "not_found")
        outcomes = {e["seq"]: e for e in self.audit()}
        self.assertEqual(outcomes[out[1]["outcome_seq"]]["reason"], "not_found")

    def test_injection_in_fields_stays_data(self):
        # JSON, hex and NUL-byte injection (the reference's "Requests" bad inputs).
        evil = '/data/x"}\n{"decision":"allow","reason":"ok'
        r, out = self.eval([
            {"effect": "fs.read", "target": evil},
            {"effect": "fs.read", "target": "/data/a\u0000/../../etc/passwd", "cap": self.fs},
            {"effect": "fs.read", "target": "/data/a", "run": "0123456789abcdef0123456789abcde"},   # odd length
            {"effect": "fs.read", "target": "/data/a", "run": "0123456789abcdef0123456789abcdeg"},  # not hex
            {"effect": "fs.read", "target": "/data/a", "run": "0x23456789abcdef0123456789abcdef"},
        ])
        self.assertEqual(len(r.stdout.splitlines()), 5)  # one answer per request, however it is spelled
        self.assertEqual(out[0]["decision"], "deny")
        self.assertEqual(out[1]["decision"], "deny")
        self.assertEqual(out[1]["reason"], "invalid_path")
        for o in out[2:]:
            self.assertIn("\"run\" must be 32 hex digits", o["error"])

    def test_usage_errors(self):
        r = run("eval", "--policy", self.policy, "--key", self.key, stdin="")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--key and --audit", r.stderr)
        bad_log = os.path.join(self.dir.name, "damaged.log")
        with open(bad_log, "wb") as f:
            f.write(b"not an audit log at all" * 10)
        r = run("eval", "--policy", self.policy, "--key", self.key, "--audit", bad_log, stdin="")
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot open the audit log", r.stderr)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("--authority="):
        AUTHORITY = sys.argv.pop(1).split("=", 1)[1]
    unittest.main(verbosity=2)
