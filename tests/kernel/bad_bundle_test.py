#!/usr/bin/env python3
"""Bad boot bundles, booted in the kernel for one arch (x86_64 through GRUB): each is
refused cleanly — a @refused line naming what and why, no panic, exit status 5 — and the
kernel denies everything. A damaged archive or config leaves nothing to run; a damaged
policy leaves the workload running with no policy: every request denied (no_policy) and
logged, and the log still verifies.

  truncated   the archive cut in half; the policy member cut in half
  wrong MAC   the policy's MAC changed by one bit; the policy MACed with another key
  oversize    a bundle over 8 MiB; a policy member over 1 MiB
  garbage     random bytes as the bundle; random bytes as the policy and as the config
"""
import argparse
import os
import random
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bundle_tools as bt  # noqa: E402

ARGS = None
WORKLOAD_REQUESTS = 14  # examples/agents/demo.jsonl
CAPABILITY_FAILURES = {"missing_capability", "bad_mac", "resource_not_covered"}  # the demo's own


class BadBundles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.good = cls.bundle_with_key("keys")
        cls.other = cls.bundle_with_key("other-keys")

    @classmethod
    def bundle_with_key(cls, name):
        key = os.path.join(cls.dir.name, name)
        out = os.path.join(cls.dir.name, name + ".cpio")
        r = bt.run_authority(ARGS.authority, "keys", "gen", "-o", key)
        assert r.returncode == 0, r.stderr
        p, _ = bt.run_report(ARGS.authority, "hosted", "--policy", bt.DEMO_POLICY, "--agent", bt.DEMO_AGENT, "--key",
                             key, "--bundle-out", out)
        assert p.returncode == 0, p.stdout + p.stderr
        with open(out, "rb") as f:
            return f.read()

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def boot(self, data, name):
        path = os.path.join(self.dir.name, name + ".cpio")
        with open(path, "wb") as f:
            f.write(data)
        p, report = bt.run_report(ARGS.authority, ARGS.arch, "--bundle", path)
        self.assertIsNotNone(report, p.stdout + p.stderr)
        self.assertNotIn("PANIC", p.stdout)
        self.assertEqual(p.returncode, 5, f"{name}: expected status 5 (refused, everything denied)\n{p.stdout}")
        return p, report

    def assert_bundle_refused(self, data, name, reason, field=None):
        p, report = self.boot(data, name)
        self.assertEqual(len(report["refused"]), 1, p.stdout)
        refused = report["refused"][0]
        self.assertEqual((refused["what"], refused["reason"]), ("bundle", reason), p.stdout)
        if field:
            self.assertEqual(refused["field"], field)
        self.assertEqual(report["decisions"], [])  # no config, no keys, no workload: nothing to judge
        self.assertIn("no policy is loaded, every request is denied", p.stdout)

    def assert_policy_refused(self, data, name, reason, deny_reason="no_policy"):
        p, report = self.boot(data, name)
        self.assertEqual([(r["what"], r["reason"]) for r in report["refused"]], [("policy", reason)], p.stdout)
        self.assertEqual(len(report["decisions"]), WORKLOAD_REQUESTS)
        # Nothing is allowed. The capability check comes before the policy, so requests
        # whose capability fails say why; every other one says deny_reason.
        reasons = [d["reason"] for d in report["decisions"] if d["decision"] == "deny"]
        self.assertEqual(len(reasons), WORKLOAD_REQUESTS, p.stdout)
        self.assertIn(deny_reason, reasons)
        self.assertLessEqual(set(reasons) - {deny_reason}, CAPABILITY_FAILURES, p.stdout)
        self.assertTrue(report["audit_ok"], p.stdout)  # denials are logged and the log verifies
        self.assertEqual(report["problems"], 0, p.stdout)
        # One policy_change entry (the refusal) and one entry per denial.
        self.assertEqual(report["entries"], 1 + WORKLOAD_REQUESTS)

    def test_good_bundle_enforces(self):
        p, report = bt.run_report(ARGS.authority, ARGS.arch, "--bundle", os.path.join(self.dir.name, "keys.cpio"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(report["refused"], [])

    def test_truncated(self):
        self.assert_bundle_refused(self.good[: len(self.good) // 2], "truncated", "truncated")
        policy = bt.member(self.good, "authority/policy")
        self.assert_policy_refused(bt.replace_member(self.good, "authority/policy", policy[: len(policy) // 2]),
                                   "truncated-policy", "truncated")

    def test_wrong_mac(self):
        policy = bytearray(bt.member(self.good, "authority/policy"))
        policy[-1] ^= 0x01
        self.assert_policy_refused(bt.replace_member(self.good, "authority/policy", bytes(policy)), "flipped-mac",
                                   "policy_mac")
        # Another key: the policy no longer verifies, and neither does any token.
        other_keys = bt.member(self.other, "authority/keys")
        self.assert_policy_refused(bt.replace_member(self.good, "authority/keys", other_keys), "other-key",
                                   "policy_mac", deny_reason="bad_mac")

    def test_oversize(self):
        members = bt.read_cpio(self.good) + [("fs", 0o040755, b""), ("fs/big.bin", 0o100644, bytes(9 << 20))]
        self.assert_bundle_refused(bt.write_cpio(members), "oversize", "too_long", "bundle")
        policy = bt.member(self.good, "authority/policy")
        self.assert_policy_refused(
            bt.replace_member(self.good, "authority/policy", policy + bytes((1 << 20) + 1 - len(policy))),
            "oversize-policy", "too_long")

    def test_garbage(self):
        rng = random.Random(5)
        self.assert_bundle_refused(bytes(rng.randrange(256) for _ in range(4096)), "garbage", "bad_magic")
        noise = bytes(rng.randrange(256) for _ in range(2048))
        self.assert_policy_refused(bt.replace_member(self.good, "authority/policy", noise), "garbage-policy",
                                   "bad_magic")
        self.assert_bundle_refused(bt.replace_member(self.good, "authority/config", noise[:76]), "garbage-config",
                                   "bad_magic", "config.magic")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--authority", required=True)
    ap.add_argument("--arch", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
