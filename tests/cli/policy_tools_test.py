#!/usr/bin/env python3
"""`authority policy compile|explain|lint|suggest` and `authority eval`, driven as a script would."""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

AUTHORITY = os.environ.get("AUTHORITY_BIN", "authority")

POLICY = """{
  "version": "1.0",
  "fs": {"read": ["/etc/**", "/data/**"], "write": ["/tmp/**"], "deny": ["/etc/shadow"]},
  "net": {"dns": ["*.example.com"], "connect": ["dns:*.example.com:443", "ip:10.0.0.0/8:5432"]},
  "tools": {"allow": ["email.send", "html_escape", {"name": "git", "version": ">=2"}], "deny": ["shell_exec"]},
  "infer": {"models": ["gpt-4"], "max_tokens": 100},
  "budgets": {"tool_calls": 2},
  "taint": {
    "labels": ["sanitized:html"],
    "sources": [{"effect": "net.*", "label": "untrusted"}],
    "sinks": [{"effect": "tool.call", "target": "email.send", "deny": ["untrusted"]}],
    "sanitizers": [{"tool": "html_escape", "removes": ["untrusted"], "adds": ["sanitized:html"]}]
  }
}
"""


def run(*args, stdin=None, cwd=None):
    return subprocess.run([AUTHORITY, *args], capture_output=True, input=stdin, cwd=cwd)


class PolicyTools(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.policy = os.path.join(self.dir.name, "policy.json")
        with open(self.policy, "w") as f:
            f.write(POLICY)
        self.key = os.path.join(self.dir.name, "keys")
        r = run("keys", "gen", "-o", self.key)
        self.assertEqual(r.returncode, 0, r.stderr)

    def tearDown(self):
        self.dir.cleanup()

    def eval_lines(self, lines, policy=None):
        r = run("eval", "--policy", policy or self.policy, stdin="\n".join(lines).encode() + b"\n")
        out = [json.loads(l) for l in r.stdout.decode().splitlines()]
        return r.returncode, out

    def test_compile_writes_a_blob_with_the_documented_header(self):
        blob = os.path.join(self.dir.name, "policy.blob")
        r = run("policy", "compile", self.policy, "-o", blob, "--key", self.key, "--revision", "9")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(blob, "rb") as f:
            data = f.read()
        magic, version, fmt, flags, key_id, revision, total, sections = struct.unpack_from("<8sHBBIQII", data)
        self.assertEqual(magic, b"AUTHPOL\0")
        self.assertEqual((version, fmt, flags, key_id, revision, total, sections), (1, 0, 0, 1, 9, len(data), 15))
        self.assertIn(hashlib.sha256(data).hexdigest().encode(), r.stderr)
        # Missing key file: a helpful error, no blob.
        r = run("policy", "compile", self.policy, "-o", blob + "2", "--key", self.key + "-missing")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"keys gen", r.stderr)
        self.assertFalse(os.path.exists(blob + "2"))

    def test_eval_judges_each_line_in_order(self):
        lines = [
            '{"effect":"fs.read","target":"/etc/hosts"}',
            '{"effect":"fs.read","target":"/data/../etc/shadow"}',
            '{"effect":"fs.write","target":"/etc/hosts"}',
            'not json',
            '{"effect":"fs.read","target":"/x","colour":"red"}',
            '',
            '{"effect":"net.connect","target":"dns:news.example.com:443"}',
            '{"effect":"tool.call","target":"email.send","labels":["untrusted"]}',
            '{"effect":"tool.call","target":"html_escape","labels":["untrusted"]}',
            '{"effect":"tool.call","target":"email.send","labels":["sanitized:html"],"cost":{"tool_calls":1}}',
            '{"effect":"tool.call","target":"git","version":"2.4","cost":{"tool_calls":1}}',
            '{"effect":"tool.call","target":"git","version":"2.5","cost":{"tool_calls":1}}',
            '{"effect":"infer","target":"gpt-4","tokens":101}',
            '{"effect":"fs.read","target":"/etc/\\u0000x"}',
            '{"effect":"tool.call","target":"git","labels":["nope"]}',
            '{"effect":"tool.call","target":"shell_exec","cap":"cap1_x","seq":3,"run":"00112233445566778899aabbccddeeff","agent":1}',
        ]
        status, out = self.eval_lines(lines)
        self.assertEqual(status, 1)  # there were malformed lines
        self.assertEqual(len(out), 15)
        allow, shadow, write, bad_json, unknown, fetch, tainted, escaped, sent, git1, git2, tokens, nul, label, shell = out
        self.assertEqual((allow["decision"], allow["reason"], allow["code"]), ("allow", "ok", 0))
        self.assertRegex(allow["rule"], r"policy\.json:3:\d+$")
        self.assertEqual((shadow["reason"], shadow["code"]), ("denied_by_rule", 301))  # canonicalized first
        self.assertEqual(write["reason"], "not_allowed")
        self.assertEqual(write["missing"], "fs.write grant for /etc/hosts")
        self.assertEqual(json.loads(write["suggestion"]), {"fs": {"write": ["/etc/hosts"]}})
        self.assertIsNone(write["rule"])
        self.assertEqual(bad_json["line"], 4)
        self.assertIn("not JSON", bad_json["error"])
        self.assertEqual(unknown["line"], 5)
        self.assertIn('unknown field "colour"', unknown["error"])
        self.assertEqual(fetch["labels"], ["untrusted"])
        self.assertEqual(tainted["reason"], "taint_violation")
        self.assertIn("sanitizer", tainted["missing"])
        self.assertEqual((escaped["decision"], escaped["labels"]), ("allow", ["sanitized:html"]))
        self.assertEqual(sent["decision"], "allow")
        self.assertEqual(git1["decision"], "allow")
        self.assertEqual((git2["decision"], git2["reason"]), ("deny", "budget_exceeded"))  # tool_calls: 2
        self.assertEqual(tokens["reason"], "limit_exceeded")
        self.assertEqual(nul["reason"], "invalid_path")
        self.assertEqual(label["line"], 15)
        self.assertIn('unknown label "nope"', label["error"])
        self.assertEqual(shell["reason"], "denied_by_rule")

    def test_explain_names_the_rule_and_the_fix(self):
        r = run("policy", "explain", self.policy, "--request", '{"effect":"fs.read","target":"/etc/shadow"}')
        self.assertEqual(r.returncode, 1)
        out = r.stdout.decode()
        self.assertIn("decision: deny (denied_by_rule, 301)", out)
        self.assertIn("policy.json:3:", out)
        self.assertIn('"/etc/shadow"', out)
        self.assertIn('allow fs.read "/etc/**"', out)  # the other matching rule
        r = run("policy", "explain", self.policy, "--request", '{"effect":"net.connect","target":"dns:evil.com:443"}')
        self.assertEqual(r.returncode, 1)
        out = r.stdout.decode()
        self.assertIn("missing:  net.connect grant for dns:evil.com:443", out)
        self.assertIn('{"net": {"connect": ["dns:evil.com:443"]}}', out)
        r = run("policy", "explain", self.policy, "--request", '{"effect":"fs.read","target":"/data/a"}')
        self.assertEqual(r.returncode, 0)
        r = run("policy", "explain", self.policy, "--request", '{"effect":"fs.read"}')
        self.assertEqual(r.returncode, 2)
        self.assertIn(b'missing field "target"', r.stderr)

    def test_lint_exit_status_follows_severity(self):
        bad = os.path.join(self.dir.name, "bad.json")
        with open(bad, "w") as f:
            f.write('{"fs": {"write": ["/**"], "read": ["/etc/passwd"], "deny": ["/etc/**"]}}\n')
        r = run("policy", "lint", bad)
        self.assertEqual(r.returncode, 1)
        out = r.stdout.decode()
        self.assertIn("error:", out)
        self.assertIn("[over-broad]", out)
        self.assertIn("[unreachable]", out)
        r = run("policy", "lint", self.policy)
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_suggest_prints_a_policy_that_allows_exactly_the_requests(self):
        requests = [
            '{"effect":"fs.read","target":"/srv/app/../data/file"}',
            '{"effect":"net.connect","target":"dns:api.example.com:443"}',
            '{"effect":"tool.call","target":"git","version":"2.1","cost":{"tool_calls":1}}',
        ]
        for fmt, ext in (("json", ".json"), ("toml", ".toml")):
            r = run("policy", "suggest", "--format", fmt, stdin="\n".join(requests).encode())
            self.assertEqual(r.returncode, 0, r.stderr)
            recorded = os.path.join(self.dir.name, "recorded" + ext)
            with open(recorded, "wb") as f:
                f.write(r.stdout)
            status, out = self.eval_lines(requests, policy=recorded)
            self.assertEqual(status, 0)
            self.assertEqual([o["decision"] for o in out], ["allow"] * 3)
            status, out = self.eval_lines(['{"effect":"fs.read","target":"/srv/data/other"}',
                                           '{"effect":"tool.call","target":"git","version":"2.2"}'], policy=recorded)
            self.assertEqual([o["decision"] for o in out], ["deny", "deny"])
        r = run("policy", "suggest", stdin=b'{"effect":"fs.read","target":"relative"}\n')
        self.assertEqual(r.returncode, 1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("--authority="):
        AUTHORITY = sys.argv.pop(1).split("=", 1)[1]
    unittest.main(verbosity=2)
