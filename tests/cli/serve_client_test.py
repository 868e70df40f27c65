#!/usr/bin/env python3
"""The Python client (python/authority_client) against a real `authority serve`: the
context manager, the decorator, denials and their explanations, taint labels, abandoned
permits and their budget, audit reads as an effect, socket permissions and peer
credentials, start-up errors and --help."""

import hashlib
import json
import os
import re
import resource
import signal
import socket
import stat
import subprocess
import tempfile
import time
import unittest

import serve_support as sup
from serve_support import Daemon, Line, authority

from authority_client import AuthorityError, Client, Denied, gated

FS_READ, FS_WRITE, NET_CONNECT, TOOL_CALL, AUDIT_READ = 0x0101, 0x0102, 0x0202, 0x0301, 0x0A02


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon().start()
        cls.fs = cls.daemon.mint("fs", "/**", "all")
        cls.net = cls.daemon.mint("net", "dns:*.example.com:443", "connect")
        cls.tool = cls.daemon.mint("tool", "*", "call")
        cls.admin = cls.daemon.mint("admin", "audit", "audit_read")

    @classmethod
    def tearDownClass(cls):
        cls.daemon.__exit__(None, None, None)

    def client(self, agent="tester", run=None):
        c = Client(self.daemon.socket, agent=agent, run=run)
        self.addCleanup(c.close)
        return c

    def entry(self, seq):
        for e in self.daemon.audit_entries():
            if e["seq"] == seq:
                return e
        self.fail(f"no audit entry {seq}")

    def test_context_manager_acts_on_the_canonical_target_and_commits(self):
        c = self.client()
        with c.effect("fs.read", "/data/in/../report.txt", cap=self.fs, cost={"file_bytes": 100}) as p:
            self.assertEqual(p.target, "/data/report.txt")  # what the agent must open
            self.assertEqual(p.rule.split(":")[0], self.daemon.policy)
            p.cost = {"file_bytes": 7}
            p.result = b"content"
        self.assertEqual(p.outcome["reason"], "ok")
        decision, outcome = self.entry(p.decision_seq), self.entry(p.outcome["outcome_seq"])
        self.assertEqual((decision["kind"], decision["decision"], decision["op"]), ("decision", "allow", FS_READ))
        self.assertEqual(decision["run_id"], c.run)
        self.assertEqual(decision["agent_id"], b"tester".hex().ljust(32, "0"))
        self.assertEqual((outcome["kind"], outcome["decision"], outcome["reason"]), ("outcome", "allow", "ok"))
        self.assertEqual(outcome["request_hash"], decision["request_hash"])
        self.assertEqual(outcome["result_hash"], hashlib.sha256(b"content").hexdigest())

    def test_an_exception_in_the_block_commits_a_failure_and_propagates(self):
        c = self.client()
        with self.assertRaises(RuntimeError):
            with c.effect("fs.write", "/data/out/x", cap=self.fs) as p:
                raise RuntimeError("disk full")
        self.assertEqual(p.outcome["reason"], "executor_failed")
        outcome = self.entry(p.outcome["outcome_seq"])
        self.assertEqual((outcome["decision"], outcome["reason"]), ("deny", "executor_failed"))
        self.assertEqual(c.last_denial()["reason"], "executor_failed")

    def test_a_policy_denial_raises_with_rule_missing_grant_and_snippet(self):
        c = self.client()
        with self.assertRaises(Denied) as caught:
            with c.effect("fs.write", "/etc/passwd", cap=self.fs):
                self.fail("the block must not run")
        d = caught.exception
        self.assertEqual((d.reason, d.code, d.target), ("not_allowed", 302, "/etc/passwd"))
        self.assertIn("/etc/passwd", d.missing)
        self.assertEqual(json.loads(d.suggestion), {"fs": {"write": ["/etc/passwd"]}})
        self.assertEqual(self.entry(d.decision_seq)["decision"], "deny")
        why = c.last_denial()
        self.assertTrue(why["present"])
        self.assertEqual((why["reason"], why["target"], why["suggestion"]), ("not_allowed", "/etc/passwd", d.suggestion))

        with self.assertRaises(Denied) as caught:
            with c.effect("tool.call", "shell", cap=self.tool):
                pass
        self.assertEqual(caught.exception.reason, "denied_by_rule")
        self.assertRegex(caught.exception.rule, r"policy\.json:\d+:\d+$")

    def test_a_missing_capability_says_which_and_how_to_mint_it(self):
        c = self.client()
        r = c.authorize("tool.call", "web_search")
        self.assertEqual((r["decision"], r["reason"]), ("deny", "missing_capability"))
        self.assertEqual(r["capability"], {"type": "tool", "method": "call", "resource": "web_search"})
        self.assertIn("authority cap mint", r["suggestion"])
        wrong = c.authorize("fs.read", "/data/a", cap=self.tool)
        self.assertEqual(wrong["reason"], "wrong_type")

    def test_gated_decorator_runs_only_when_allowed(self):
        c = self.client()
        calls = []

        @gated("tool.call", target="web_search", cap=self.tool, client=c)
        def web_search(query):
            calls.append(query)
            return f"results for {query}"

        @gated("tool.call", target=lambda cmd: "shell", cap=self.tool, client=c)
        def shell(cmd):
            calls.append(cmd)

        self.assertEqual(web_search("authority"), "results for authority")
        with self.assertRaises(Denied):
            shell("rm -rf /")
        self.assertEqual(calls, ["authority"])
        outcomes = [e for e in self.daemon.audit_entries() if e["kind"] == "outcome" and e["run_id"] == c.run]
        self.assertEqual(outcomes[-1]["result_hash"], hashlib.sha256(b"results for authority").hexdigest())

    def test_taint_labels_flow_from_a_fetch_to_a_sink(self):
        c = self.client()
        with c.effect("net.connect", "dns:api.example.com:443", cap=self.net) as fetch:
            pass
        self.assertEqual(fetch.labels, ["untrusted"])
        with self.assertRaises(Denied) as caught:
            with c.effect("tool.call", "email.send", cap=self.tool, labels=fetch.labels):
                pass
        self.assertEqual(caught.exception.reason, "taint_violation")
        self.assertIn("untrusted", c.last_denial()["message"])
        with c.effect("tool.call", "summarize", cap=self.tool, labels=fetch.labels) as summary:
            pass
        self.assertEqual(summary.labels, [])
        with c.effect("tool.call", "email.send", cap=self.tool, labels=summary.labels):
            pass
        with self.assertRaises(AuthorityError) as err:
            c.authorize("tool.call", "email.send", cap=self.tool, labels=["secret"])
        self.assertIn("unknown label", str(err.exception))

    def test_audit_reads_are_an_effect_that_needs_an_admin_capability(self):
        c = self.client()
        with self.assertRaises(Denied) as caught:
            c.audit_read(self.tool)
        self.assertEqual(caught.exception.reason, "wrong_type")
        r = c.audit_read(self.admin, from_seq=1, count=3)
        self.assertEqual([e["seq"] for e in r["entries"]], [1, 2, 3])
        self.assertEqual(r["entries"][0]["kind"], "policy_change")
        self.assertEqual(self.entry(r["decision_seq"])["op"], AUDIT_READ)
        outcome = self.entry(r["outcome_seq"])
        self.assertEqual(outcome["result_hash"], hashlib.sha256(json.dumps(r["entries"], separators=(",", ":")).encode()).hexdigest())

    def test_audit_head_is_the_head_the_verifier_computes(self):
        c = self.client()
        c.authorize("fs.read", "/data/x", cap=self.fs)
        head = c.audit_head()
        self.assertTrue(c.authorize("fs.read", "/data/y", cap=self.fs)["decision_seq"] > head["seq"])
        entries = self.daemon.audit_entries()
        self.assertEqual([e["hash"] for e in entries if e["seq"] == head["seq"]], [head["hash"]])

    def test_protocol_errors(self):
        c = self.client()
        with self.assertRaises(AuthorityError) as err:
            c.commit(999999)
        self.assertEqual(err.exception.reason, "not_found")
        with self.assertRaises(AuthorityError):
            c.request({"op": "hello", "agent": "again", "run": sup.RUN})
        r = c.authorize("fs.read", "/data/a", cap=self.fs)
        c.commit(r["permit"])
        with self.assertRaises(AuthorityError):
            c.commit(r["permit"])  # once only
        self.assertEqual(c.authorize("fs.read", "/data/a", cap=self.fs, seq=1)["reason"], "sequence_replay")
        self.assertEqual(c.authorize("fs.read", "/data/a", cap=self.fs, seq=10**6)["seq"], 10**6)
        self.assertEqual(c.authorize("fs.read", "/data/a", cap=self.fs, seq=10**6)["reason"], "sequence_replay")
        self.assertEqual(c.authorize("fs.read", "/data/a", cap=self.fs, seq=5)["reason"], "sequence_order")

    def test_socket_is_private_to_its_owner(self):
        mode = os.stat(self.daemon.socket).st_mode
        self.assertTrue(stat.S_ISSOCK(mode))
        self.assertEqual(stat.S_IMODE(mode), 0o600)


def as_nobody(socket_path):
    """Connects as uid/gid 65534 from a child process, says hello; returns what came back."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setgid(65534)
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(10)
            s.connect(socket_path)
            try:
                s.sendall(b'{"op":"hello","agent":"nobody","run":"' + sup.RUN.encode() + b'"}\n')
            except OSError:
                pass  # a refused peer may find the connection closed already; the answer is still there
            os.write(w, s.recv(4096))
        except OSError as e:
            os.write(w, f"OSError {e}".encode())
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    answer = os.read(r, 4096).decode()
    os.close(r)
    return answer


@unittest.skipUnless(os.geteuid() == 0, "needs root to connect as another uid")
class PeerCredentialsTest(unittest.TestCase):
    def test_the_socket_mode_keeps_other_users_out(self):
        with Daemon() as d:
            self.assertIn("Permission denied", as_nobody(d.socket))

    def test_the_daemon_checks_peer_credentials_even_on_an_open_socket(self):
        with Daemon() as d:
            os.chmod(d.dir, 0o711)
            os.chmod(d.socket, 0o666)  # someone loosened the mode: SO_PEERCRED still refuses
            answer = as_nobody(d.socket)
            self.assertIn("uid 65534 may not use this daemon", answer)
            self.assertIn("--allow-uid 65534", answer)
            self.assertIn("refused a connection from uid 65534", d.read_log())

    def test_allow_uid_and_group_let_others_in(self):
        with Daemon(extra=["--allow-uid", "65534"]) as d:
            os.chmod(d.dir, 0o711)  # nobody may traverse to the socket
            os.chmod(d.socket, 0o666)
            self.assertTrue(json.loads(as_nobody(d.socket))["ok"])
        with Daemon(extra=["--group", "65534"]) as d:
            os.chmod(d.dir, 0o711)
            st = os.stat(d.socket)
            self.assertEqual((stat.S_IMODE(st.st_mode), st.st_gid), (0o660, 65534))
            self.assertTrue(json.loads(as_nobody(d.socket))["ok"])


class BudgetAcrossConnectionsTest(unittest.TestCase):
    """Abandoned permits are charged what they reserved, and a run's budget outlives its
    connections (reconnecting does not refill it)."""

    def test_abandoned_permits_are_charged_and_logged(self):
        policy = sup.POLICY.replace('"tool_calls": 1000000', '"tool_calls": 3')
        with Daemon(policy=policy) as d:
            tool = d.mint("tool", "*", "call")
            first = Client(d.socket, agent="a", run=sup.RUN)
            permits = [first.authorize("tool.call", "web_search", cap=tool)["permit"] for _ in range(2)]
            first.close()
            for _ in range(100):  # the daemon completes them when it notices the close
                outcomes = [e for e in d.audit_entries() if e["kind"] == "outcome"]
                if len(outcomes) == 2:
                    break
                time.sleep(0.05)
            self.assertEqual([e["reason"] for e in outcomes], ["abandoned", "abandoned"])
            self.assertEqual({e["request_hash"] for e in outcomes},
                             {e["request_hash"] for e in d.audit_entries() if e["seq"] in permits})
            second = Client(d.socket, agent="a", run=sup.RUN)
            self.assertEqual(second.session["budgets"]["tool_calls"], {"limit": 3, "remaining": 1})
            self.assertEqual(second.authorize("tool.call", "web_search", cap=tool)["decision"], "allow")
            denied = second.authorize("tool.call", "web_search", cap=tool)
            self.assertEqual(denied["reason"], "budget_exceeded")
            self.assertIn("tool_calls", denied["missing"])
            other_run = Client(d.socket, agent="a", run="ff" * 16)
            self.assertEqual(other_run.session["budgets"]["tool_calls"]["remaining"], 3)
            second.close()
            other_run.close()
            self.assertIn("completed as abandoned", d.read_log())
            self.assertEqual(d.verify().returncode, 0)


def small_file_limit():
    """In the daemon's process: files may not grow past 4 KiB, and writing past that
    fails with EFBIG instead of killing it (as a full disk would)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


class FailClosedTest(unittest.TestCase):
    def test_when_the_log_cannot_take_an_entry_everything_is_denied(self):
        with Daemon(preexec_fn=small_file_limit) as d:
            fs = d.mint("fs", "/**", "all")
            c = Client(d.socket, agent="full")
            told = []
            for i in range(100):
                r = c.authorize("fs.read", f"/data/{i}", cap=fs)
                if r["decision"] != "allow":
                    break
                told.append(r["decision_seq"])
                c.commit(r["permit"])
            self.assertEqual((r["decision"], r["reason"]), ("deny", "log_full"), r)
            self.assertTrue(5 < len(told) < 100, told)
            again = c.authorize("fs.read", "/data/again", cap=fs)
            self.assertEqual((again["reason"], again["decision_seq"]), ("log_full", 0))  # stays closed
            c.close()
            self.assertIn("the audit log failed (log_full (504))", d.read_log())
            verified = d.verify().stdout + d.verify().stderr
            n = int(re.search(r"(?:OK: |entries 1-)(\d+)", verified).group(1))
            self.assertLessEqual(max(told), n, verified)  # every acknowledged decision is on disk


class ModesAndStartTest(unittest.TestCase):
    def test_record_mode_allows_policy_denials_and_says_what_would_deny(self):
        with Daemon(extra=["--mode", "record"]) as d:
            fs = d.mint("fs", "/**", "all")
            c = Client(d.socket, agent="rec")
            with c.effect("fs.write", "/etc/hosts", cap=fs) as p:
                self.assertTrue(p.recorded)
            self.assertIn("no allow rule", p.response["would_deny"])
            self.assertEqual(json.loads(p.response["suggestion"]), {"fs": {"write": ["/etc/hosts"]}})
            self.assertEqual(c.authorize("fs.write", "/etc/hosts")["reason"], "missing_capability")  # still enforced
            c.close()
            decision = [e for e in d.audit_entries() if e["seq"] == p.decision_seq][0]
            self.assertEqual((decision["decision"], decision["reason"]), ("allow", "not_allowed"))

    def test_start_up_errors_say_what_to_do(self):
        with tempfile.TemporaryDirectory() as work:
            d = Daemon(workdir=work)
            base = ["serve", "--socket", d.socket, "--policy", d.policy, "--audit", d.audit]
            r = authority(*base, "--key", os.path.join(work, "nope"), check=False)
            self.assertEqual(r.returncode, 2)
            self.assertIn("authority keys gen", r.stderr)
            os.chmod(work, 0o777)
            r = authority(*base, "--key", d.keys, check=False)
            self.assertIn("writable by everyone", r.stderr)
            self.assertIn("mkdir -m 0700", r.stderr)
            os.chmod(work, 0o700)
            d.write_policy('{"version": "1.0", "fs": {"raed": ["/x"]}}')
            r = authority(*base, "--key", d.keys, check=False)
            self.assertRegex(r.stderr, r"policy\.json:1:\d+: error: unknown key \"raed\"")
            self.assertIn("authority policy check", r.stderr)
            d.write_policy(sup.POLICY)
            with open(d.socket, "w"):
                pass
            r = authority(*base, "--key", d.keys, check=False)
            self.assertIn("exists and is not a socket", r.stderr)
            os.unlink(d.socket)
            with d:
                r = authority(*base, "--key", d.keys, check=False)
                self.assertIn("another daemon is serving", r.stderr)

    def test_help_explains_every_option(self):
        out = authority("serve", "--help").stdout
        for option in ["--socket", "--policy", "--format", "--key", "--audit", "--mode", "--group", "--allow-uid",
                       "--max-connections", "--workers", "--max-line", "--max-output", "--max-pending", "--max-runs",
                       "--line-timeout", "--write-timeout", "--idle-timeout"]:
            self.assertIn(option, out)
        self.assertIn("SIGHUP", out)


if __name__ == "__main__":
    sup.take_authority_argument()
    unittest.main(verbosity=2)
