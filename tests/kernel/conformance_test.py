#!/usr/bin/env python3
"""Conformance: the same policy, keys, clock start and agent workload give the same
decisions and the same audit head on the hosted port (the kernel's enforcement code run
in-process) and in the kernel on every arch (x86_64 through GRUB).

Two workloads: the demo agent (allowed, denied, budget exhaustion, forged token) and the
same bundle with a damaged and a garbage request frame (agent faults). Prints each
arch's time to first decision and its in-kernel decision rate."""
import argparse
import os
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bundle_tools as bt  # noqa: E402

ARGS = None


def damage_workload(bundle):
    """Frame 3's payload changed without its CRC, and 20 bytes of garbage at the end."""
    frames = bytearray(bt.member(bundle, "authority/workload"))
    at = 0
    for _ in range(2):
        at += 16 + struct.unpack_from("<I", frames, at + 8)[0]
    frames[at + 16] ^= 0x40
    frames += b"not a request frame!"
    return bt.replace_member(bundle, "authority/workload", bytes(frames))


class Conformance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.key = os.path.join(cls.dir.name, "keys")
        r = bt.run_authority(ARGS.authority, "keys", "gen", "-o", cls.key)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def run_everywhere(self, *args):
        reports = {}
        for arch in ["hosted"] + ARGS.arches:
            p, report = bt.run_report(ARGS.authority, arch, *args)
            self.assertIsNotNone(report, f"{arch}: no report\n{p.stdout}\n{p.stderr}")
            self.assertNotIn("PANIC", p.stdout, arch)
            self.assertTrue(report["audit_ok"], f"{arch}: audit log did not verify\n{p.stdout}")
            self.assertEqual(report["problems"], 0, f"{arch}:\n{p.stdout}")
            reports[arch] = report
            rate = (len(report["decisions"]) * 1e9 / report["kernel_elapsed_ns"]) if report["kernel_elapsed_ns"] else 0
            first = report["first_decision_ms"]
            print(f"conformance: {arch:8} status {report['status']}, {report['entries']} entries, head "
                  f"{report['head'][:16]}…, first decision "
                  f"{'-' if first is None else f'{first:.0f} ms'}, {rate:.0f} decisions/s inside")
        reference = reports["hosted"]
        for arch, report in reports.items():
            self.assertEqual(report["decisions"], reference["decisions"], f"{arch} decides differently")
            self.assertEqual(report["head"], reference["head"], f"{arch} has another audit head")
            self.assertEqual(report["entries"], reference["entries"], arch)
            self.assertEqual(report["status"], reference["status"], arch)
        return reference

    def test_demo_agent(self):
        bundle = os.path.join(self.dir.name, "demo.cpio")
        ref = self.run_everywhere("--policy", bt.DEMO_POLICY, "--agent", bt.DEMO_AGENT, "--fs", bt.DEMO_FILES,
                                  "--key", self.key, "--bundle-out", bundle)
        self.assertEqual(ref["status"], 0)
        reasons = [d["reason"] for d in ref["decisions"]]
        self.assertTrue(any(d["decision"] == "allow" for d in ref["decisions"]))
        for expected in ["denied_by_rule", "not_allowed", "resource_not_covered", "budget_exceeded", "bad_mac",
                         "missing_capability"]:
            self.assertIn(expected, reasons)
        # The RAM file system answered: the seeded report was read, the secret was not.
        first = ref["decisions"][0]
        self.assertEqual((first["effect"], first["target"], first["decision"], first["result"]),
                         ("fs.read", "/data/report.txt", "allow", "ok"))

    def test_agent_faults(self):
        good = os.path.join(self.dir.name, "good.cpio")
        p, _ = bt.run_report(ARGS.authority, "hosted", "--policy", bt.DEMO_POLICY, "--agent", bt.DEMO_AGENT, "--key",
                             self.key, "--bundle-out", good)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(good, "rb") as f:
            damaged = damage_workload(f.read())
        path = os.path.join(self.dir.name, "damaged.cpio")
        with open(path, "wb") as f:
            f.write(damaged)
        ref = self.run_everywhere("--bundle", path)
        faults = [d for d in ref["decisions"] if d["effect"] == "-"]
        self.assertEqual([d["reason"] for d in faults], ["bad_checksum", "bad_magic"])
        self.assertTrue(all(d["audit_seq"] > 0 for d in faults), "agent faults are on the log")
        self.assertEqual(len(ref["decisions"]), 15)  # 14 frames, one damaged, plus the garbage tail


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--authority", required=True)
    ap.add_argument("--arch", dest="arches", action="append", default=[])
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
