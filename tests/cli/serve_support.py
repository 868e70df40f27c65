"""Shared by the tests/cli/serve_*_test.py scripts: a real `authority serve` in a private
temporary directory (keys, policy, capabilities minted with the CLI), and a raw line
client for the protocol. Not a test itself (no _test suffix)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

AUTHORITY = os.environ.get("AUTHORITY_BIN", "authority")


def take_authority_argument():
    """ctest passes --authority=PATH; returns the binary to use."""
    global AUTHORITY
    if len(sys.argv) > 1 and sys.argv[1].startswith("--authority="):
        AUTHORITY = sys.argv.pop(1).split("=", 1)[1]
    return AUTHORITY


POLICY = """{
  "version": "1.0",
  "fs": {"read": ["/data/**"], "write": ["/data/out/**"]},
  "net": {"connect": ["dns:*.example.com:443"]},
  "tools": {"allow": ["web_search", "email.send", "summarize"], "deny": ["shell"]},
  "taint": {
    "sources": [{"effect": "net.connect", "label": "untrusted"}],
    "sinks": [{"effect": "tool.call", "target": "email.send", "deny": ["untrusted"]}],
    "sanitizers": [{"tool": "summarize", "removes": ["untrusted"]}]
  },
  "budgets": {"tool_calls": 1000000}
}
"""

RUN = "00112233445566778899aabbccddeeff"


def authority(*args, check=True):
    r = subprocess.run([AUTHORITY, *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"authority {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


class Daemon:
    """`authority serve` on a fresh directory. Use as a context manager."""

    def __init__(self, policy=POLICY, extra=(), workdir=None, preexec_fn=None):
        self.dir = workdir or tempfile.mkdtemp(prefix="authority-serve-")
        self.own_dir = workdir is None
        self.keys = os.path.join(self.dir, "keys")
        self.policy = os.path.join(self.dir, "policy.json")
        self.socket = os.path.join(self.dir, "gate.sock")
        self.audit = os.path.join(self.dir, "audit.log")
        self.log_path = os.path.join(self.dir, "serve.log")
        if not os.path.exists(self.keys):
            authority("keys", "gen", "-o", self.keys)
        self.write_policy(policy)
        self.extra = list(extra)
        self.preexec_fn = preexec_fn
        self.proc = None

    def write_policy(self, text):
        with open(self.policy, "w") as f:
            f.write(text)

    def mint(self, type_, resource, methods):
        return authority("cap", "mint", "--key", self.keys, "--type", type_, "--resource", resource,
                         "--methods", methods).stdout.strip()

    def start(self):
        if getattr(self, "log", None) is not None:
            self.log.close()  # a restart
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([AUTHORITY, "serve", "--socket", self.socket, "--policy", self.policy,
                                      "--key", self.keys, "--audit", self.audit, *self.extra],
                                     stdout=self.log, stderr=self.log, preexec_fn=self.preexec_fn)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"authority serve exited {self.proc.returncode}: {self.read_log()}")
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(self.socket)
                return self
            except OSError:
                time.sleep(0.05)
            finally:
                s.close()
        raise AssertionError("authority serve did not start: " + self.read_log())

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("authority serve did not stop on SIGTERM")
        if self.proc is not None:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self.own_dir and not os.environ.get("AUTHORITY_KEEP_TEST_DIRS"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def audit_entries(self):
        """Every entry of the log, via `authority audit show --json`."""
        out = authority("audit", "show", "--json", self.audit).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def verify(self):
        return authority("audit", "verify", self.audit, check=False)


class Line:
    """A raw protocol connection: send objects or bytes, read response objects."""

    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def send_raw(self, data: bytes):
        self.sock.sendall(data)

    def send(self, obj):
        self.send_raw(json.dumps(obj).encode() + b"\n")

    def read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the daemon")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return json.loads(line)

    def ask(self, obj):
        self.send(obj)
        return self.read()

    def hello(self, agent="tester", run=RUN):
        r = self.ask({"op": "hello", "agent": agent, "run": run})
        assert r["ok"], r
        return r

    def close(self):
        self.sock.close()
