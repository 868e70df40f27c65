#!/usr/bin/env python3
"""The `authority keys` and `authority cap` commands, driven as a script would drive them."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

AUTHORITY = os.environ.get("AUTHORITY_BIN", "authority")
NOW = 1_700_000_000_000  # ms; every command gets --now-ms so results are deterministic


def run(*args, stdin=None):
    return subprocess.run([AUTHORITY, *args], capture_output=True, text=True, input=stdin)


class CapCli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.key = os.path.join(self.dir.name, "keys")
        r = run("keys", "gen", "-o", self.key)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.stat(self.key).st_mode & 0o777, 0o600)

    def tearDown(self):
        self.dir.cleanup()

    def mint(self, *extra, now=NOW):
        r = run("cap", "mint", "--key", self.key, "--now-ms", str(now), *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        token = r.stdout.strip().splitlines()[-1]
        self.assertTrue(token.startswith("cap1_"))
        return token

    def verify(self, token, *extra, now=NOW + 1000):
        return run("cap", "verify", "--key", self.key, "--now-ms", str(now), *extra, token)

    def test_mint_verify_allow_and_deny_with_reasons(self):
        tok = self.mint("--type", "fs", "--resource", "/data/**", "--methods", "read,write", "--ttl", "1h",
                        "--rate", "100/1m")
        ok = self.verify(tok, "--type", "fs", "--resource", "/data/x/../y.txt", "--method", "read")
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        self.assertIn("allow: fs read /data/y.txt", ok.stdout)
        cases = [
            (("--type", "fs", "--resource", "/data/../etc/passwd", "--method", "read"), "resource_not_covered"),
            (("--type", "fs", "--resource", "/data/x", "--method", "exec"), "method_not_allowed"),
            (("--type", "net", "--resource", "dns:example.com:443", "--method", "connect"), "wrong_type"),
        ]
        for args, reason in cases:
            r = self.verify(tok, *args)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("deny: " + reason, r.stdout)
        late = self.verify(tok, "--type", "fs", "--resource", "/data/x", "--method", "read", now=NOW + 3_600_000)
        self.assertEqual(late.returncode, 1)
        self.assertIn("token_expired", late.stdout)

    def test_run_binding(self):
        run_id = "00112233445566778899aabbccddeeff"
        tok = self.mint("--type", "tool", "--resource", "http_*", "--methods", "call", "--run-id", run_id)
        args = ("--type", "tool", "--resource", "http_get", "--method", "call")
        self.assertEqual(self.verify(tok, *args, "--run-id", run_id).returncode, 0)
        other = self.verify(tok, *args, "--run-id", "ff" * 16)
        self.assertEqual(other.returncode, 1)
        self.assertIn("run_mismatch", other.stdout)

    def test_inspect_json(self):
        tok = self.mint("--type", "net", "--resource", "dns:*.example.com:443", "--methods", "connect", "--ttl", "15m")
        r = run("cap", "inspect", "--json", tok)
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["type"], "net")
        self.assertEqual(doc["resource"], "dns:*.example.com:443")
        self.assertEqual(doc["methods"], "connect")
        self.assertEqual(doc["ttl_ms"], 15 * 60 * 1000)
        self.assertEqual(doc["issued_at_ms"], NOW)
        self.assertIsNone(doc["run_id"])
        self.assertEqual(doc["depth"], 0)

    def test_attenuate_holder_and_issuer(self):
        tok = self.mint("--type", "fs", "--resource", "/data/**", "--methods", "read,write")
        # Holder side: no key.
        r = run("cap", "attenuate", tok, "--resource", "/data/public/**", "--methods", "read", "--now-ms", str(NOW))
        self.assertEqual(r.returncode, 0, r.stderr)
        narrow = r.stdout.strip().splitlines()[-1]
        self.assertEqual(self.verify(narrow, "--type", "fs", "--resource", "/data/public/a", "--method", "read").returncode, 0)
        d = self.verify(narrow, "--type", "fs", "--resource", "/data/private/a", "--method", "read")
        self.assertIn("resource_not_covered", d.stdout)
        # Issuer side: a child token; widening is refused with its reason.
        r = run("cap", "attenuate", tok, "--key", self.key, "--resource", "/data/reports/*", "--methods", "read",
                "--ttl", "10m", "--now-ms", str(NOW))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        child = r.stdout.strip().splitlines()[-1]
        doc = json.loads(run("cap", "inspect", "--json", child).stdout)
        self.assertEqual(doc["depth"], 1)
        wide = run("cap", "attenuate", tok, "--key", self.key, "--resource", "/**", "--now-ms", str(NOW))
        self.assertEqual(wide.returncode, 1)
        self.assertIn("widens_resource", wide.stdout)
        wide = run("cap", "attenuate", tok, "--key", self.key, "--methods", "all", "--now-ms", str(NOW))
        self.assertIn("widens_methods", wide.stdout)

    def test_revoke_token_subtree_and_run(self):
        tok = self.mint("--type", "fs", "--resource", "/data/**", "--methods", "read")
        r = run("cap", "attenuate", tok, "--key", self.key, "--resource", "/data/a/*", "--now-ms", str(NOW))
        child = r.stdout.strip().splitlines()[-1]
        other = self.mint("--type", "fs", "--resource", "/data/**", "--methods", "read")
        args = ("--type", "fs", "--resource", "/data/a/b", "--method", "read")
        self.assertEqual(self.verify(child, *args).returncode, 0)
        rv = run("cap", "revoke", "--key", self.key, tok)
        self.assertEqual(rv.returncode, 0, rv.stderr)
        for t in (tok, child):
            d = self.verify(t, *args)
            self.assertEqual(d.returncode, 1)
            self.assertIn("deny: revoked", d.stdout)
        self.assertEqual(self.verify(other, *args).returncode, 0)
        run_id = "ab" * 16
        bound = self.mint("--type", "fs", "--resource", "/data/**", "--methods", "read", "--run-id", run_id)
        self.assertEqual(run("cap", "revoke", "--key", self.key, "--run-id", run_id).returncode, 0)
        self.assertIn("revoked", self.verify(bound, *args, "--run-id", run_id).stdout)
        # Editing the revocation file to un-revoke is detected: the CLI refuses to go on.
        path = self.key + ".revoked"
        data = bytearray(open(path, "rb").read())
        data[6] ^= 1
        open(path, "wb").write(bytes(data))
        broken = self.verify(tok, *args)
        self.assertEqual(broken.returncode, 2)
        self.assertIn("bad_mac", broken.stderr + broken.stdout)

    def test_rotation_and_grace(self):
        # Rotation uses the real clock, so this test does too.
        now = int(time.time() * 1000)
        old = self.mint("--type", "fs", "--resource", "/d/*", "--methods", "read", "--ttl", "30d", now=now)
        self.assertEqual(run("keys", "rotate", self.key).returncode, 0)
        args = ("--type", "fs", "--resource", "/d/x", "--method", "read")
        # Within the 24 h grace the old key verifies; after it, key_expired.
        self.assertEqual(self.verify(old, *args, now=now).returncode, 0)
        late = self.verify(old, *args, now=now + 25 * 3_600_000)
        self.assertEqual(late.returncode, 1)
        self.assertIn("key_expired", late.stdout)
        listing = run("keys", "list", self.key).stdout
        self.assertIn("key 2 active", listing)
        self.assertIn("key 1 retired", listing)

    def test_bad_inputs_have_clear_errors(self):
        bad = os.path.join(self.dir.name, "bad")
        open(bad, "w").write("authority-keys v1\nstate_key zz\n")
        r = run("cap", "mint", "--key", bad, "--type", "fs", "--resource", "/a", "--methods", "read")
        self.assertEqual(r.returncode, 2)
        self.assertIn(bad + ":2:", r.stderr)
        r = run("cap", "inspect", "cap1_!!!")
        self.assertEqual(r.returncode, 2)
        self.assertIn("invalid_encoding", r.stderr)
        r = run("cap", "mint", "--key", self.key, "--type", "fs", "--resource", "/a", "--methods", "fly")
        self.assertEqual(r.returncode, 2)
        self.assertIn("not a method of fs", r.stderr)
        r = run("cap", "mint", "--key", self.key, "--type", "fs", "--resource", "/a", "--methods", "read", "--rate", "0/1m")
        self.assertEqual(r.returncode, 2)
        r = run("cap", "mint", "--key", self.key, "--type", "fs", "--resource", "relative/*", "--methods", "read")
        self.assertEqual(r.returncode, 2)
        self.assertIn("invalid_pattern", r.stderr + r.stdout)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("--authority="):
        AUTHORITY = sys.argv.pop(1).split("=", 1)[1]
    unittest.main(verbosity=2)
