"""A client for `authority serve`, the Authority gate daemon (docs/daemon.md).

Standard library only. The daemon judges each effect; the agent performs it itself on
the canonical target the daemon returns, then reports the outcome::

    from authority_client import Client, gated

    with Client("/run/user/1000/authority/gate.sock", agent="researcher") as gate:
        with gate.effect("fs.read", "/data/report.txt", cap=FS_CAP) as permit:
            data = open(permit.target, "rb").read()     # act on permit.target, not on your own string
            permit.cost = {"file_bytes": len(data)}
            permit.result = data                         # hashed into the audit log

        @gated("tool.call", target="web_search", cap=TOOL_CAP, client=gate)
        def web_search(query):
            ...

A denial raises Denied, which carries the reason, the missing capability or grant and
a policy snippet that would allow it; Client.last_denial() asks the daemon again.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import socket
import threading
import uuid
from typing import Any, Callable, Dict, Iterable, Optional, Union

__all__ = [
    "AuthorityError",
    "Client",
    "Denied",
    "Permit",
    "default_client",
    "gated",
    "set_default_client",
    "sha256_hex",
    "socket_from_env",
]


class AuthorityError(Exception):
    """The daemon answered with an error ("ok": false): the request was malformed or not
    allowed to be made at all (no decision was logged)."""

    def __init__(self, response: Dict[str, Any]):
        self.response = response
        self.reason: str = response.get("reason", "")
        self.code: int = response.get("code", 0)
        super().__init__(f"{response.get('error', 'error')} [{self.reason} {self.code}]")


class Denied(Exception):
    """The gate denied an effect. The decision is on the audit log (decision_seq)."""

    def __init__(self, response: Dict[str, Any]):
        self.response = response
        self.effect: str = response.get("effect", "")
        self.target: str = response.get("target", "")
        self.reason: str = response.get("reason", "")
        self.code: int = response.get("code", 0)
        self.message: str = response.get("message", "")
        self.missing: Optional[str] = response.get("missing")
        self.suggestion: Optional[str] = response.get("suggestion")
        self.rule: Optional[str] = response.get("rule")
        self.decision_seq: int = response.get("decision_seq", 0)
        text = f"{self.effect} {self.target} denied: {self.reason} ({self.code}): {self.message}"
        if self.missing:
            text += f"; missing: {self.missing}"
        super().__init__(text)


class Permit:
    """An allowed effect awaiting its commit. Act on `target` (canonical); set `cost`
    (actual metered costs), `result` (bytes or str, hashed into the audit log) or
    `status` (an error name) before the `with` block ends."""

    def __init__(self, response: Dict[str, Any], declared_cost: Optional[Dict[str, int]]):
        self.response = response
        self.permit: int = response["permit"]
        self.effect: str = response["effect"]
        self.target: str = response["target"]
        self.target2: Optional[str] = response.get("target2")
        self.labels = list(response.get("labels", []))
        self.rule: Optional[str] = response.get("rule")
        self.decision_seq: int = response["decision_seq"]
        self.recorded: bool = response.get("recorded", False)
        self.cost: Optional[Dict[str, int]] = dict(declared_cost) if declared_cost else None
        self.result: Union[bytes, str, None] = None
        self.status: str = "ok"
        self.outcome: Optional[Dict[str, Any]] = None  # the commit's response

    def __repr__(self) -> str:
        return f"Permit({self.permit}, {self.effect} {self.target!r}, labels={self.labels})"


class Client:
    """One connection to the daemon = one session (agent id, run id). Thread-safe: each
    request waits for its answer, in order."""

    def __init__(self, socket_path: str, agent: str, run: Optional[str] = None, timeout: Optional[float] = 30.0):
        self.socket_path = socket_path
        self.agent = agent
        self.run = run or uuid.uuid4().hex
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(socket_path)
        except OSError:
            self._sock.close()
            raise
        self._buffer = b""
        self._next_id = 1
        self.session = self.request({"op": "hello", "agent": agent, "run": self.run})

    # ---- plumbing ------------------------------------------------------------------

    def close(self) -> None:
        """Closes the connection. Permits not committed are logged as abandoned and
        charged what they reserved."""
        self._sock.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _read_line(self) -> bytes:
        while b"\n" not in self._buffer:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("the daemon closed the connection")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def request(self, message: Dict[str, Any]) -> Dict[str, Any]:
        """Sends one request object and returns the response; raises AuthorityError when
        the daemon answers with an error."""
        with self._lock:
            message = dict(message)
            message.setdefault("id", self._next_id)
            self._next_id += 1
            self._sock.sendall(json.dumps(message, separators=(",", ":")).encode() + b"\n")
            response = json.loads(self._read_line())
        if not response.get("ok"):
            raise AuthorityError(response)
        return response

    # ---- the protocol --------------------------------------------------------------

    def authorize(self, effect: str, target: str, *, cap: Optional[str] = None, labels: Iterable[str] = (),
                  cost: Optional[Dict[str, int]] = None, tokens: Optional[int] = None, version: Optional[str] = None,
                  target2: Optional[str] = None, payload: Optional[str] = None, seq: Optional[int] = None
                  ) -> Dict[str, Any]:
        """Asks the gate. Returns the response ("decision": "allow" with a "permit", or
        "deny" with the reason); a denial does not raise here (see effect())."""
        req: Dict[str, Any] = {"effect": effect, "target": target}
        if cap is not None:
            req["cap"] = cap
        labels = list(labels)
        if labels:
            req["labels"] = labels
        if cost:
            req["cost"] = dict(cost)
        if tokens is not None:
            req["tokens"] = tokens
        if version is not None:
            req["version"] = version
        if target2 is not None:
            req["target2"] = target2
        if payload is not None:
            req["payload"] = payload
        if seq is not None:
            req["seq"] = seq
        return self.request({"op": "authorize", "request": req})

    def commit(self, permit: int, *, status: str = "ok", cost: Optional[Dict[str, int]] = None,
               result: Union[bytes, str, None] = None, result_sha256: Optional[str] = None) -> Dict[str, Any]:
        """Reports what the effect did: status "ok" or an error name, the actual metered
        costs, and its result (hashed into the outcome entry). Returns the outcome seq."""
        req: Dict[str, Any] = {"op": "commit", "permit": permit, "status": status}
        if cost:
            req["cost"] = dict(cost)
        if result is not None and result_sha256 is not None:
            raise ValueError("give result or result_sha256, not both")
        if isinstance(result, str):
            req["result"] = result
        elif isinstance(result, (bytes, bytearray)):
            req["result_b64"] = base64.urlsafe_b64encode(bytes(result)).rstrip(b"=").decode()
        if result_sha256 is not None:
            req["result_sha256"] = result_sha256
        return self.request(req)

    def last_denial(self) -> Dict[str, Any]:
        """The session's last denial, explained: reason, target, rule, missing, suggestion."""
        return self.request({"op": "last_denial"})

    def audit_head(self) -> Dict[str, Any]:
        """The audit log's head: {"seq": N, "hash": hex, "log_id": hex}."""
        return self.request({"op": "audit_head"})

    def audit_read(self, cap: str, from_seq: int = 1, count: int = 20) -> Dict[str, Any]:
        """Reads audit entries: an effect itself (audit.read), needing an admin capability
        for resource "audit". Raises Denied when the gate says no."""
        response = self.request({"op": "audit_read", "cap": cap, "from": from_seq, "count": count})
        if response["decision"] != "allow":
            raise Denied(response)
        return response

    def effect(self, effect: str, target: str, **kwargs) -> "_EffectContext":
        """Context manager: authorizes (raises Denied), yields the Permit, and commits when
        the block ends — "ok" with permit.cost/permit.result, or, if the block raises,
        status "executor_failed" (or permit.status if set) and the exception goes on."""
        return _EffectContext(self, effect, target, kwargs)


class _EffectContext:
    def __init__(self, client: Client, effect: str, target: str, kwargs: Dict[str, Any]):
        self.client, self.effect, self.target, self.kwargs = client, effect, target, kwargs
        self.permit: Optional[Permit] = None

    def __enter__(self) -> Permit:
        response = self.client.authorize(self.effect, self.target, **self.kwargs)
        if response["decision"] != "allow":
            raise Denied(response)
        self.permit = Permit(response, self.kwargs.get("cost"))
        return self.permit

    def __exit__(self, exc_type, exc, tb) -> bool:
        p = self.permit
        assert p is not None
        status = p.status
        if exc_type is not None and status == "ok":
            status = "executor_failed"
        p.outcome = self.client.commit(p.permit, status=status, cost=p.cost, result=p.result)
        return False  # exceptions propagate


_default_client: Optional[Client] = None


def set_default_client(client: Optional[Client]) -> None:
    """The client @gated functions use when they are not given one."""
    global _default_client
    _default_client = client


def default_client() -> Client:
    if _default_client is None:
        raise RuntimeError("no Authority client: call set_default_client(Client(...)) or pass client= to @gated")
    return _default_client


def gated(effect: str, target: Union[str, Callable[..., str], None] = None, *, cap: Optional[str] = None,
          client: Optional[Client] = None, cost: Optional[Dict[str, int]] = None,
          labels: Union[Iterable[str], Callable[..., Iterable[str]], None] = None,
          record_result: bool = True) -> Callable:
    """Decorator: every call of the function is authorized first (Denied is raised and the
    function does not run), then committed with its outcome. `target` is a string, or a
    function of the call's arguments (e.g. lambda url: f"dns:{host(url)}:443"); so may
    `labels` be (the taint labels of the data flowing in). With record_result the
    function's return value (str/bytes, else its repr) is hashed into the audit log.

        @gated("tool.call", target="web_search", cap=TOOL_CAP)
        def web_search(query): ...
    """

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            c = client or default_client()
            t = target(*args, **kwargs) if callable(target) else (target if target is not None else fn.__name__)
            ls = labels(*args, **kwargs) if callable(labels) else (labels or ())
            with c.effect(effect, t, cap=cap, cost=cost, labels=ls) as permit:
                value = fn(*args, **kwargs)
                if record_result:
                    permit.result = value if isinstance(value, (str, bytes)) else repr(value)
                return value

        return wrapper

    return decorate


def sha256_hex(data: Union[bytes, str]) -> str:
    """The digest to pass as commit(result_sha256=...) when the result itself stays local."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def socket_from_env(default: Optional[str] = None) -> str:
    """$AUTHORITY_SOCKET, or the given default."""
    path = os.environ.get("AUTHORITY_SOCKET", default)
    if not path:
        raise RuntimeError("set AUTHORITY_SOCKET to the daemon's socket path (authority serve --socket PATH)")
    return path
