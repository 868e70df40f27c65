#!/usr/bin/env python3
"""The `authority audit` commands, on logs written here from docs/audit-format.md alone.

Writing the log in Python from the document (not with our library) checks two things at
once: the CLI verifies and proves what the format says, and the document is exact enough
for another implementation.
"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

AUTHORITY = os.environ.get("AUTHORITY_BIN", "authority")
LOG_ID = bytes(range(16))


def run(*args):
    return subprocess.run([AUTHORITY, *args], capture_output=True, text=True)


def slurp(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def dump(path, data, mode="wb"):
    with open(path, mode) as f:
        f.write(data)


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def entry_bytes(seq, prev, kind=1, decision=1, op=0, reason=0, time=0, run_id=b"\x22" * 16):
    return (struct.pack("<BBBHHQQ", 1, kind, decision, op, reason, seq, time) + b"\x11" * 16 + run_id +
            bytes([seq & 0xFF]) * 32 + b"\x00" * 32 + b"\xbb" * 32 + prev)


def frame(entry: bytes) -> bytes:
    record = entry + hashlib.sha256(entry).digest()
    body = b"ALG1" + struct.pack("<I", len(record)) + record
    return body + struct.pack("<I", crc32c(body))


def write_log(path, n):
    """Writes n entries; returns their entry bytes."""
    header = b"AUTHAUDT" + struct.pack("<I", 1) + LOG_ID
    header += struct.pack("<I", crc32c(header))
    prev = hashlib.sha256(b"authority.audit.v1" + LOG_ID).digest()
    entries = []
    with open(path, "wb") as f:
        f.write(header)
        for seq in range(1, n + 1):
            e = entry_bytes(seq, prev, kind=1 if seq % 2 else 2, decision=0 if seq % 4 == 0 else 1, op=seq % 3,
                            reason=302 if seq % 4 == 0 else 0, time=1000 * seq,
                            run_id=(b"\x33" if seq % 3 == 0 else b"\x22") * 16)
            f.write(frame(e))
            entries.append(e)
            prev = hashlib.sha256(e).digest()
    return entries


def leaf(e):
    return hashlib.sha256(b"\x00" + e).digest()


def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def mth(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(leaf_hash, index, size, proof, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


FRAME = 8 + 215 + 4


class AuditCli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.log = os.path.join(self.dir.name, "audit.log")
        self.entries = write_log(self.log, 12)

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def test_verify_accepts_a_log_written_from_the_document(self):
        r = run("audit", "verify", self.log)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        head = hashlib.sha256(self.entries[-1]).hexdigest()
        self.assertIn(f"OK: 12 entries, head {head}", r.stdout)

    def test_verify_names_the_first_bad_sequence_number(self):
        data = bytearray(slurp(self.log))
        data[32 + 6 * FRAME + 20] ^= 0x04  # inside entry 7
        bad = self.path("bad.log")
        dump(bad, data)
        r = run("audit", "verify", bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn("seq 7", r.stdout)
        self.assertIn("bad_checksum", r.stdout)
        self.assertIn("not a torn tail", r.stdout)
        torn = self.path("torn.log")
        dump(torn, bytes(data[: 32 + 11 * FRAME + 100]))
        r = run("audit", "verify", torn)
        self.assertEqual(r.returncode, 1)
        self.assertIn("seq 7", r.stdout)
        # Entry 4 rewritten with a correct hash and CRC: the chain breaks at 5.
        data = bytearray(slurp(self.log))
        start = 32 + 3 * FRAME + 8
        e = bytearray(data[start:start + 183])
        e[3] ^= 1  # op
        data[32 + 3 * FRAME:32 + 4 * FRAME] = frame(bytes(e))
        dump(bad, data)
        r = run("audit", "verify", bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn("seq 5", r.stdout)
        self.assertIn("chain_broken", r.stdout)

    def test_show_filters_and_json(self):
        r = run("audit", "show", self.log, "--json", "--decision", "deny")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual([row["seq"] for row in rows], [4, 8, 12])
        self.assertTrue(all(row["reason"] == "not_allowed" and row["reason_code"] == 302 for row in rows))
        self.assertEqual(rows[0]["hash"], hashlib.sha256(self.entries[3]).hexdigest())
        r = run("audit", "show", self.log, "--json", "--seq", "2-5", "--run", "22" * 16)
        self.assertEqual([json.loads(l)["seq"] for l in r.stdout.splitlines()], [2, 4, 5])
        r = run("audit", "show", self.log, "--json", "--op", "1")
        self.assertEqual([json.loads(l)["seq"] for l in r.stdout.splitlines()], [1, 4, 7, 10])
        r = run("audit", "tail", self.log, "-n", "2", "--json")
        self.assertEqual([json.loads(l)["seq"] for l in r.stdout.splitlines()], [11, 12])
        r = run("audit", "show", self.log, "--seq", "x")
        self.assertEqual(r.returncode, 2)

    def test_inclusion_and_consistency_proofs(self):
        leaves = [leaf(e) for e in self.entries]
        for seq, size in [(1, 12), (5, 12), (12, 12), (5, 7), (3, 3)]:
            r = run("audit", "prove", self.log, "--seq", str(seq), "--size", str(size))
            self.assertEqual(r.returncode, 0, r.stderr)
            p = json.loads(r.stdout)
            self.assertEqual(p["root"], mth(leaves[:size]).hex())
            proof = [bytes.fromhex(h) for h in p["proof"]]
            self.assertTrue(verify_inclusion(leaves[seq - 1], seq - 1, size, proof, mth(leaves[:size])))
        r = run("audit", "prove", self.log, "--from", "5", "--to", "12")
        self.assertEqual(r.returncode, 0, r.stderr)
        p = json.loads(r.stdout)
        self.assertEqual(p["old_root"], mth(leaves[:5]).hex())
        self.assertEqual(p["new_root"], mth(leaves).hex())
        self.assertGreater(len(p["proof"]), 0)
        self.assertEqual(run("audit", "prove", self.log, "--seq", "13").returncode, 2)

    def test_checkpoint_sign_verify_and_forgery(self):
        sk, pk = self.path("sk"), self.path("pk")
        r = run("audit", "keygen", "--secret", sk, "--public", pk)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.stat(sk).st_mode & 0o777, 0o600)
        r = run("audit", "checkpoint", self.log, "--key", sk, "--size", "8")
        self.assertEqual(r.returncode, 0, r.stderr)
        cp = self.path("cp")
        dump(cp, r.stdout, "w")
        fields = dict(line.split(" ", 1) for line in r.stdout.splitlines()[1:])
        self.assertEqual(fields["size"], "8")
        self.assertEqual(fields["head"], hashlib.sha256(self.entries[7]).hexdigest())
        self.assertEqual(fields["root"], mth([leaf(e) for e in self.entries[:8]]).hex())
        r = run("audit", "checkpoint", "verify", cp, "--pub", pk, "--log", self.log)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("log OK", r.stdout)

        forged = self.path("forged")
        dump(forged, slurp(cp, "r").replace("size 8", "size 9"), "w")
        r = run("audit", "checkpoint", "verify", forged, "--pub", pk)
        self.assertEqual(r.returncode, 1)
        self.assertIn("checkpoint_signature", r.stdout)

        # A history rewritten consistently (every hash and CRC recomputed) still verifies
        # on its own, but no longer matches the checkpoint.
        rewritten = self.path("rewritten.log")
        write_log(rewritten, 12)
        data = bytearray(slurp(rewritten))
        prev = hashlib.sha256(b"authority.audit.v1" + LOG_ID).digest()
        out = bytearray(data[:32])
        for seq in range(1, 13):
            e = bytearray(self.entries[seq - 1])
            e[151:183] = prev
            if seq == 3:
                e[3] ^= 1
            out += frame(bytes(e))
            prev = hashlib.sha256(bytes(e)).digest()
        dump(rewritten, out)
        self.assertEqual(run("audit", "verify", rewritten).returncode, 0)
        r = run("audit", "checkpoint", "verify", cp, "--pub", pk, "--log", rewritten)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not the ones the checkpoint signed", r.stdout)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("--authority="):
        AUTHORITY = sys.argv.pop(1).split("=", 1)[1]
    unittest.main(verbosity=2)
