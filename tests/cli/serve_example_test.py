#!/usr/bin/env python3
"""examples/python/agent_loop.py runs against a real `authority serve` and does what its
docstring says: the injected email is refused (taint), explained via last_denial, the
reviewed summary is sent, the fetch from a host the policy does not allow is refused with
a snippet, and the audit log verifies."""

import os
import subprocess
import sys
import unittest

import serve_support as sup

EXAMPLE = os.path.join(sup.HERE, "..", "..", "examples", "python", "agent_loop.py")


class ExampleTest(unittest.TestCase):
    def test_agent_loop(self):
        r = subprocess.run([sys.executable, EXAMPLE, "--authority", sup.AUTHORITY], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = r.stdout
        self.assertIn("refused: taint_violation (303)", out)
        self.assertIn("asked the daemon why: data labeled [untrusted] may not flow into tool.call email.send", out)
        self.assertIn("labelled ['reviewed']", out)
        self.assertIn("sent 45 bytes to team@example.com", out)
        self.assertIn("refused: not_allowed (302)", out)
        self.assertIn('{"net": {"connect": ["ip:10.1.2.3:8080"]}}', out)
        self.assertIn("outbox: 1 message(s), to ['team@example.com']", out)
        self.assertRegex(out, r"OK: \d+ entries, head [0-9a-f]{64}")


if __name__ == "__main__":
    sup.take_authority_argument()
    unittest.main(verbosity=2)
