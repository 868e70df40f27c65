#!/usr/bin/env python3
"""Bad input for `authority serve`: garbage, invalid JSON and UTF-8, unknown fields,
truncated lines, huge lines, pipelined floods, slow clients (a partial line held open,
one byte at a time, responses never read) and a connection flood — while a well-behaved
client keeps asking throughout and must get a correct answer every time, promptly.

Every malformed line gets an error answer naming the problem and the connection stays
usable; only timeouts close a connection."""

import json
import os
import socket
import threading
import time
import unittest

import serve_support as sup
from serve_support import Daemon, Line

LINE_TIMEOUT_S = 1.0
MAX_CONNECTIONS = 12


class GoodClient(threading.Thread):
    """Authorize, commit, get denied — over and over — checking every answer."""

    def __init__(self, socket_path, caps):
        super().__init__(daemon=True)
        self.path, self.fs, self.deny_fs = socket_path, caps[0], caps[1]
        self.stop_flag = threading.Event()
        self.errors = []
        self.rounds = 0
        self.worst = 0.0

    def timed(self, line, obj):
        t0 = time.monotonic()
        r = line.ask(obj)
        self.worst = max(self.worst, time.monotonic() - t0)
        return r

    def run(self):
        line = Line(self.path, timeout=10)
        try:
            line.hello(agent="good", run="aa" * 16)
            while not self.stop_flag.is_set():
                self.rounds += 1
                r = self.timed(line, {"op": "authorize", "id": self.rounds,
                                      "request": {"effect": "fs.read", "target": "/data/./a//b", "cap": self.fs}})
                if (r.get("id"), r.get("decision"), r.get("target")) != (self.rounds, "allow", "/data/a/b"):
                    self.errors.append(r)
                    return
                c = self.timed(line, {"op": "commit", "permit": r["permit"]})
                if c.get("reason") != "ok" or c.get("outcome_seq", 0) <= r["decision_seq"]:
                    self.errors.append(c)
                    return
                d = self.timed(line, {"op": "authorize", "request": {"effect": "fs.write", "target": "/etc/passwd",
                                                                     "cap": self.deny_fs}})
                if d.get("reason") != "not_allowed":
                    self.errors.append(d)
                    return
                time.sleep(0.005)
        except Exception as e:  # noqa: BLE001 - any failure of the good client is the finding
            self.errors.append(repr(e))
        finally:
            line.close()


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(extra=["--line-timeout", f"{int(LINE_TIMEOUT_S * 1000)}ms", "--write-timeout", "2s",
                                   "--max-output", "65536", "--max-connections", str(MAX_CONNECTIONS)]).start()
        cls.caps = (cls.daemon.mint("fs", "/data/**", "read"), cls.daemon.mint("fs", "/**", "write"))
        cls.good = GoodClient(cls.daemon.socket, cls.caps)
        cls.good.start()
        time.sleep(0.2)

    @classmethod
    def tearDownClass(cls):
        cls.good.stop_flag.set()
        cls.good.join(10)
        cls.daemon.stop()
        verify = cls.daemon.verify()
        cls.daemon.__exit__(None, None, None)
        assert verify.returncode == 0, verify.stdout + verify.stderr

    def tearDown(self):
        # After every kind of abuse the good client is still answered, correctly and promptly.
        rounds = self.good.rounds
        deadline = time.monotonic() + 5
        while self.good.rounds < rounds + 3 and time.monotonic() < deadline and not self.good.errors:
            time.sleep(0.01)
        self.assertEqual(self.good.errors, [])
        self.assertGreaterEqual(self.good.rounds, rounds + 3, "the good client stalled")
        self.assertLess(self.good.worst, 3.0, "the good client waited too long for an answer")

    def connect(self):
        line = Line(self.daemon.socket, timeout=10)
        self.addCleanup(line.close)
        return line

    def assert_error(self, answer, reason, text=""):
        self.assertFalse(answer["ok"], answer)
        self.assertEqual(answer["reason"], reason, answer)
        self.assertIn(text, answer["error"])

    def assert_still_usable(self, line):
        r = line.ask({"op": "audit_head", "id": "still-here"})
        self.assertEqual((r["ok"], r["id"]), (True, "still-here"), r)

    def test_garbage_and_invalid_json_get_errors_and_the_connection_stays_usable(self):
        line = self.connect()
        line.hello()
        cases = [
            (b"\x00\x01\x02\xff\xfe garbage", "not JSON"),
            (b"{", "not JSON"),
            (b"[]", "a request is a JSON object"),
            (b'"hello"', "a request is a JSON object"),
            (b'{"op":}', "expected a JSON value"),
            (b'{"op":"audit_head",}', "member name"),
            (b'{"op":"audit_head","op":"hello"}', 'duplicate field "op"'),
            (b'{"op":"audit_head","id":01}', "leading zeros"),
            (b'{"op":"audit_head","id":NaN}', "expected a JSON value"),
            (b'{"op":"audit_head"} trailing', "after the JSON value"),
            (b'{"op":"au\xc3\x28dit_head"}', "invalid UTF-8"),
            (b'{"op":"\xed\xa0\x80"}', "invalid UTF-8"),  # an encoded surrogate
            (b'{"op":"a\\ud800"}', "surrogate"),
            (b'{"op":"tab\there"}', "control character"),
            (b"[" * 100 + b"]" * 100, "nested deeper"),
            (b'{"op":"launch_missiles"}', "unknown op"),
            (b'{"op":"audit_head","id":{"x":1}}', '"id" must be'),
        ]
        for raw, text in cases:
            with self.subTest(raw=raw[:40]):
                line.send_raw(raw + b"\n")
                self.assert_error(line.read(), "invalid_argument", text)
        self.assert_still_usable(line)

    def test_unknown_fields_are_named(self):
        line = self.connect()
        self.assert_error(line.ask({"op": "authorize", "request": {"effect": "fs.read", "target": "/data/a"}}),
                          "invalid_argument", "no session yet")
        self.assert_error(line.ask({"op": "hello", "agnet": "x", "run": sup.RUN}), "invalid_argument", '"agnet"')
        line.hello()
        answer = line.ask({"op": "authorize", "request": {"effect": "fs.read", "target": "/data/a", "tagret": "/x"}})
        self.assert_error(answer, "invalid_argument", 'unknown field "tagret"')
        self.assertIn('did you mean "target"', answer["error"])
        self.assert_error(line.ask({"op": "authorize", "request": {"effect": "fs.raed", "target": "/data/a"}}),
                          "unknown_effect", "fs.read")
        self.assert_error(line.ask({"op": "authorize", "request": {"effect": "fs.read", "target": "/data/a",
                                                                    "cost": {"gold": 1}}}),
                          "invalid_argument", 'unknown budget resource "gold"')
        self.assert_error(line.ask({"op": "authorize", "request": {"effect": "fs.read", "target": "/data/a",
                                                                    "cap": "not-a-token"}}),
                          "bad_magic", "not a capability token")
        self.assert_error(line.ask({"op": "commit", "permit": 1, "bogus": True}), "invalid_argument", '"bogus"')
        self.assert_error(line.ask({"op": "authorize", "request": {"effect": "fs.read", "target": "/data/a",
                                                                    "run": "ff" * 16}}),
                          "agent_mismatch", "not this session's run")
        # Judged, not malformed: a path with a NUL byte or .. above / is denied and logged.
        r = line.ask({"op": "authorize", "request": {"effect": "fs.read", "target": "/data/a\u0000/../../etc/shadow",
                                                     "cap": self.caps[0]}})
        self.assertEqual((r["decision"], r["reason"]), ("deny", "invalid_path"), r)
        self.assertGreater(r["decision_seq"], 0)
        self.assert_still_usable(line)

    def test_a_huge_line_is_refused_and_skipped(self):
        line = self.connect()
        line.hello()
        line.send_raw(b'{"op":"audit_head","pad":"' + b"x" * (1 << 20) + b'"}\n{"op":"audit_head","id":7}\n')
        self.assert_error(line.read(), "too_long", "longer than 65536 bytes")
        self.assertEqual(line.read()["id"], 7)
        # Exactly at the limit is still read (and then judged on its content).
        at_limit = b'{"op":"audit_head","id":"' + b"y" * (65536 - 27) + b'"}'
        self.assertEqual(len(at_limit), 65536)
        line.send_raw(at_limit + b"\n")
        self.assert_error(line.read(), "invalid_argument", '"id" must be')

    def test_pipelined_requests_are_answered_in_order(self):
        line = self.connect()
        line.hello()
        batch = b"".join(json.dumps({"op": "audit_head", "id": i}).encode() + b"\n" for i in range(2000))
        line.send_raw(batch)
        self.assertEqual([line.read()["id"] for _ in range(2000)], list(range(2000)))

    def test_a_truncated_last_line_gets_an_answer(self):
        line = self.connect()
        line.hello()
        line.send_raw(b'{"op":"audit_head","id":1}\n{"op":"audit_he')
        line.sock.shutdown(socket.SHUT_WR)
        self.assertEqual(line.read()["id"], 1)
        self.assert_error(line.read(), "truncated", "ended in the middle of a line")
        self.assertEqual(line.sock.recv(1), b"")  # then the daemon closes

    def test_a_partial_line_held_open_times_out(self):
        line = self.connect()
        line.send_raw(b'{"op":"hel')
        t0 = time.monotonic()
        answer = line.read()
        self.assertGreaterEqual(time.monotonic() - t0, LINE_TIMEOUT_S * 0.9)
        self.assert_error(answer, "deadline_exceeded", "not finished within")
        self.assertEqual(line.sock.recv(1), b"")

    def test_one_byte_at_a_time_is_cut_off_too(self):
        line = self.connect()
        closed = False
        for b in b'{"op":"hello","agent":"slowloris","run":"' + sup.RUN.encode() * 4:
            try:
                line.send_raw(bytes([b]))
            except OSError:
                closed = True
                break
            time.sleep(0.1)
        if not closed:
            self.assert_error(line.read(), "deadline_exceeded", "not finished within")

    def test_a_client_that_never_reads_is_held_back_then_dropped(self):
        line = self.connect()
        line.hello()
        line.sock.setblocking(False)
        request = b'{"op":"audit_head"}\n'
        sent = 0
        stalled_since = None
        while True:
            try:
                sent += line.sock.send(request * 256)
                stalled_since = None
            except BlockingIOError:
                stalled_since = stalled_since or time.monotonic()
                if time.monotonic() - stalled_since > 0.5:
                    break  # the daemon stopped reading: back-pressure
                time.sleep(0.01)
            except OSError:
                break  # already dropped
            self.assertLess(sent, 64 << 20, "the daemon kept reading a client that reads nothing")
        # It stops reading at max-output of unread answers plus what the socket buffers hold,
        # and after the write timeout it closes the connection.
        time.sleep(3)  # longer than --write-timeout, reading nothing
        line.sock.setblocking(True)
        line.sock.settimeout(10)
        received = b""
        while True:
            try:
                chunk = line.sock.recv(1 << 20)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                break  # closed by the daemon
            received += chunk
        self.assertLess(received.count(b"\n"), sent // len(request), "every request was answered: no back-pressure")
        self.assertIn("did not read its responses", self.daemon.read_log())

    def test_a_connection_flood_waits_instead_of_growing(self):
        idle = []
        for _ in range(MAX_CONNECTIONS + 4):
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(5)
            s.connect(self.daemon.socket)  # beyond the limit this lands in the listen backlog
            idle.append(s)
        last = idle[-1]
        last.sendall(b'{"op":"audit_head","id":"late"}\n')
        last.settimeout(0.5)
        with self.assertRaises(socket.timeout):
            last.recv(4096)  # not accepted yet: the daemon is at its limit
        for s in idle[:8]:
            s.close()
        last.settimeout(10)
        self.assertEqual(json.loads(last.recv(4096))["id"], "late")
        for s in idle[8:]:
            s.close()


if __name__ == "__main__":
    sup.take_authority_argument()
    unittest.main(verbosity=2)
