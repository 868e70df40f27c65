#!/usr/bin/env python3
"""`authority run --arch hosted`: the agent file format, the exit statuses, the audit
log it writes, and that runs repeat exactly (the kernel's enforcement code in-process;
the kernels themselves are compared by conformance_test.py)."""
import argparse
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bundle_tools as bt  # noqa: E402

ARGS = None
POLICY = {
    "version": "1.0",
    "fs": {"read": ["/data/**"], "write": ["/data/out/**"]},
    "tools": {"allow": ["search", "email.send"]},
    "budgets": {"tool_calls": 5},
    "taint": {"sinks": [{"effect": "tool.call", "target": "email.send", "deny": ["untrusted"]}]},
}


class RunCli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.policy = self.path("policy.json", json.dumps(POLICY))
        self.key = os.path.join(self.dir.name, "keys")
        r = bt.run_authority(ARGS.authority, "keys", "gen", "-o", self.key)
        self.assertEqual(r.returncode, 0, r.stderr)

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name, text):
        p = os.path.join(self.dir.name, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def run_agent(self, lines, *extra):
        agent = self.path("agent.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n")
        return bt.run_report(ARGS.authority, "hosted", "--policy", self.policy, "--agent", agent, "--key", self.key,
                             *extra)

    def decisions(self, lines, *extra):
        p, report = self.run_agent(lines, *extra)
        self.assertIsNotNone(report, p.stdout + p.stderr)
        return p, [(d["decision"], d["reason"]) for d in report["decisions"]]

    def test_capabilities_minted_forged_literal_and_absent(self):
        minted = bt.run_authority(ARGS.authority, "cap", "mint", "--key", self.key, "--type", "fs", "--resource",
                                  "/data/**", "--methods", "read", "--now-ms", "1735689600000")
        self.assertEqual(minted.returncode, 0, minted.stderr)
        token = minted.stdout.strip().splitlines()[-1]
        p, got = self.decisions([
            {"effect": "fs.read", "target": "/data/a", "cap": "mint fs /data/** read"},
            {"effect": "fs.read", "target": "/data/a", "cap": "forge fs /data/** read"},
            {"effect": "fs.read", "target": "/data/a", "cap": token},
            {"effect": "fs.read", "target": "/data/a"},
            {"effect": "fs.write", "target": "/data/out/x", "cap": "mint fs /data/** read"},
        ])
        self.assertEqual(got, [("allow", "executor_failed"), ("deny", "bad_mac"), ("allow", "executor_failed"),
                               ("deny", "missing_capability"), ("deny", "method_not_allowed")], p.stdout)
        self.assertEqual(p.returncode, 0)
        self.assertIn("forged fs /data/** [read]", p.stdout)

    def test_ttl_rate_labels_sequence(self):
        p, got = self.decisions([
            {"effect": "tool.call", "target": "search", "cap": "mint tool * call ttl=5ms"},
            {"effect": "tool.call", "target": "search", "cap": "mint tool * call ttl=5ms"},
            {"effect": "tool.call", "target": "search", "cap": "mint tool search call rate=1/1h"},
            {"effect": "tool.call", "target": "email.send", "labels": ["untrusted"], "cap": "mint tool * call"},
            {"effect": "tool.call", "target": "search", "seq": 4, "cap": "mint tool * call"},
        ])
        # The logical clock moves 1 ms per reading and tokens are minted at its start:
        # three readings at boot (policy change, policy load, budget start), two per
        # allowed request, so a 5 ms token lives for exactly one request. Two tokens with the same text are distinct tokens (ids differ), so the
        # rate-limited one starts full. A seq already used is a replay.
        self.assertEqual(got, [("allow", "ok"), ("deny", "token_expired"), ("allow", "ok"),
                               ("deny", "taint_violation"), ("deny", "sequence_replay")], p.stdout)

    def test_budget_exhaustion(self):
        _, got = self.decisions([{"effect": "tool.call", "target": "search", "cap": "mint tool * call"}] * 6)
        self.assertEqual(got, [("allow", "ok")] * 5 + [("deny", "budget_exceeded")])

    def test_agent_file_errors_name_the_line(self):
        cases = [
            ({"effect": "fs.read", "target": "/a", "cap": "mint fs /a"}, "mint|forge TYPE RESOURCE METHODS"),
            ({"effect": "fs.read", "target": "/a", "cap": "mint blob /a read"}, "unknown capability type"),
            ({"effect": "fs.read", "target": "/a", "cap": "mint fs /a fly"}, "\"fly\" is not a method of fs"),
            ({"effect": "fs.read", "target": "/a", "cap": "mint fs /a read ttl=soon"}, "bad ttl"),
            ({"effect": "fs.read", "target": "/a", "cap": "cap1_!!"}, "is not a token"),
            ({"effect": "fs.exec", "target": "/bin/sh"}, "policy operation, not an effect"),
            ({"effect": "fs.read", "target": "/a", "labels": ["secret"]}, "unknown label"),
            ({"effect": "fs.read", "target": "/a", "run": "00" * 16}, "belong to the whole run"),
            ({"effect": "fs.read", "target": "/a", "argz": 1}, "unknown field"),
        ]
        for line, message in cases:
            p, report = self.run_agent([{"effect": "fs.read", "target": "/data/a"}, line])
            self.assertEqual(p.returncode, 2, (line, p.stdout, p.stderr))
            self.assertIn("agent.jsonl:2: ", p.stderr, line)
            self.assertIn(message, p.stderr, line)
            self.assertIsNone(report)

    def test_usage_errors(self):
        p = bt.run_authority(ARGS.authority, "run", "--arch", "hosted", "--policy", self.policy)
        self.assertEqual(p.returncode, 2)
        p = bt.run_authority(ARGS.authority, "run", "--arch", "hosted", "--bundle", "/nonexistent")
        self.assertEqual(p.returncode, 2)
        bad_policy = self.path("bad.json", '{"version": "1.0", "fs": {"raed": []}}')
        agent = self.path("a.jsonl", '{"effect": "fs.read", "target": "/a"}\n')
        p = bt.run_authority(ARGS.authority, "run", "--arch", "hosted", "--policy", bad_policy, "--agent", agent)
        self.assertEqual(p.returncode, 2)
        self.assertIn("raed", p.stderr)

    def test_runs_repeat_exactly_and_the_log_verifies_with_the_audit_cli(self):
        lines = [{"effect": "fs.read", "target": "/data/report.txt", "cap": "mint fs /data/** read"},
                 {"effect": "tool.call", "target": "search", "cap": "mint tool * call"}]
        audit = os.path.join(self.dir.name, "run.audit")
        _, first = self.run_agent(lines, "--audit-out", audit, "--fs", bt.DEMO_FILES)
        _, again = self.run_agent(lines, "--fs", bt.DEMO_FILES)
        self.assertEqual(first["head"], again["head"])
        self.assertEqual(first["decisions"][0]["result"], "ok")  # the seeded file was read
        verify = bt.run_authority(ARGS.authority, "audit", "verify", audit)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
        self.assertIn(first["head"], verify.stdout)
        self.assertIn(f"{first['entries']} entries", verify.stdout)
        # Another clock start is another run: other times, other head.
        _, later = self.run_agent(lines, "--fs", bt.DEMO_FILES, "--clock-start", "1767225600000000000")
        self.assertEqual(later["decisions"], first["decisions"])
        self.assertNotEqual(later["head"], first["head"])

    def test_repeat_continues_the_sequence(self):
        _, report = self.run_agent([{"effect": "fs.read", "target": "/data/a", "cap": "mint fs /data/** read"}],
                                   "--repeat", "3")
        self.assertEqual([d["seq"] for d in report["decisions"]], [1, 2, 3])


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--authority", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
