#!/usr/bin/env python3
"""User-mode agents in the kernel (issue 6, docs/syscall-abi.md): one boot bundle with
every bypass attempt as an agent of its own, then a well-behaved agent last. Each attempt
must be stopped (a fault that ends the agent, or a denial / bad_address the agent checks
and reports through its exit code), audited with its cause, and the kernel must go on to
the next agent. The streamed audit log must verify on the host, and every agent's audit
entries must say what happened (agent_start, then agent_exit or agent_fault with the
cause; a fault's request hash is SHA-256 of the console line that describes it).

Usage: user_agents_test.py --authority BIN --arch ARCH --agents DIR [--measure]
"""
import argparse
import hashlib
import os
import re
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import bundle_tools as bt  # noqa: E402

# name → expected: ("fault", reason) | ("exit", code) | ("refused", reason)
EXPECT_X86_64 = [
    ("uart-direct", ("fault", "agent_privileged")),     # out to COM1: #GP (IOPL 0, no I/O bitmap)
    ("mmio", ("fault", "agent_page_fault")),            # local APIC page: supervisor-only
    ("port-io", ("fault", "agent_privileged")),         # isa-debug-exit: would end QEMU if permitted
    ("read-kernel", ("fault", "agent_page_fault")),
    ("write-kernel", ("fault", "agent_page_fault")),
    ("jump-kernel", ("fault", "agent_page_fault")),
    ("priv-halt", ("fault", "agent_privileged")),       # hlt
    ("priv-irq", ("fault", "agent_privileged")),        # cli
    ("priv-paging", ("fault", "agent_privileged")),     # mov to cr3
    ("illegal", ("fault", "agent_illegal_instruction")),
    ("write-code", ("fault", "agent_page_fault")),      # W^X: code is not writable
    ("exec-stack", ("fault", "agent_page_fault")),      # W^X: the stack is not executable
    ("spin", ("fault", "deadline_exceeded")),           # loops without a system call: preempted, ended
    ("bad-pointers", ("exit", 0)),                      # kernel/unmapped/read-only pointers: bad_address
    ("forge", ("exit", 0)),                             # bad_mac twice
    ("replay", ("exit", 0)),                            # sequence_replay
    ("budget", ("exit", 0)),                            # budget_exceeded
    ("revoked", ("exit", 0)),                           # a token listed in authority/revoked: revoked
    ("spawn-wider", ("exit", 0)),                       # widens_resource, widens_methods, budget_exceeded; carve holds
    ("child:reader", ("exit", 0)),                      # ... then its child runs with the narrowed token
    ("spawn-revoke", ("exit", 0)),                      # spawns, then revokes its own token
    ("child:reader-revoked", ("exit", 0)),              # ... so the child's delegated token is revoked
    ("garbage-elf", ("refused", "bad_executable")),
    ("wx-elf", ("refused", "bad_executable")),          # a segment both writable and executable
    ("hello", ("exit", 0)),                             # the kernel still serves agents afterwards
]

# aarch64 and riscv64 (for when they implement kernel/user.hpp): the UART is MMIO (a page
# fault), there is no port I/O, and a privileged instruction at EL0 / in U-mode may be
# reported as undefined (aarch64 EC 0, riscv64 illegal instruction) or trapped.
PRIVILEGED_OR_ILLEGAL = ("agent_privileged", "agent_illegal_instruction")


def expect_mmio_arch():
    out = []
    for name, (what, detail) in EXPECT_X86_64:
        if name == "port-io":
            continue
        if name == "uart-direct":
            detail = "agent_page_fault"
        if name.startswith("priv-"):
            detail = PRIVILEGED_OR_ILLEGAL
        out.append((name, (what, detail)))
    return out


EXPECT = {"x86_64": EXPECT_X86_64, "aarch64": expect_mmio_arch(), "riscv64": expect_mmio_arch()}

KIND = {1: "decision", 2: "outcome", 3: "policy_change", 5: "agent_fault", 6: "agent_start", 7: "agent_exit"}
REASON = {0: "ok", 401: "deadline_exceeded", 607: "bad_address", 609: "agent_page_fault", 610: "agent_privileged",
          611: "agent_illegal_instruction", 612: "agent_arithmetic", 613: "agent_trap", 614: "bad_executable"}

# What the agents' tokens are minted for: the agent file's lines, one token each.
CAP_LINES = [
    '{"effect": "fs.read", "target": "/data/report.txt", "cap": "mint fs /data/** read"}',
    '{"effect": "infer", "target": "claude-3-haiku", "tokens": 1, "cost": {"tokens": 1}, "cap": "mint infer claude-* invoke"}',
    '{"effect": "fs.read", "target": "/data/report.txt", "cap": "mint fs /data/** read"}',
    '{"effect": "fs.read", "target": "/data/report.txt", "cap": "mint fs /data/** read"}',
]


def varint(b, at):
    v = shift = 0
    while True:
        c = b[at]
        at += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, at


def frame_capabilities(workload):
    """The capability bytes of each request frame of a workload, in order."""
    caps = []
    at = 0
    while at < len(workload):
        assert workload[at:at + 4] == b"ARQ1"
        length = struct.unpack_from("<I", workload, at + 8)[0]
        p = workload[at + 16:at + 16 + length]
        i = 2
        _, i = varint(p, i)                       # seq
        for _ in range(3):                        # target, target2, version
            n, i = varint(p, i)
            i += n
        _, i = varint(p, i)                       # tokens
        _, i = varint(p, i)                       # labels
        count = p[i]
        i += 1
        for _ in range(count):
            i += 1
            _, i = varint(p, i)
        n, i = varint(p, i)
        caps.append(bytes(p[i:i + n]))
        at += 16 + length
    return caps


def caps_blob(tokens):
    return b"".join(struct.pack("<H", len(t)) + t for t in tokens)


def wx_elf(elf):
    """The same ELF with its first PT_LOAD marked R+W+X."""
    b = bytearray(elf)
    phoff, = struct.unpack_from("<Q", b, 32)
    phnum, = struct.unpack_from("<H", b, 56)
    for i in range(phnum):
        at = phoff + 56 * i
        if struct.unpack_from("<I", b, at)[0] == 1:
            struct.pack_into("<I", b, at + 4, 7)
            return bytes(b)
    raise AssertionError("no PT_LOAD")


def read_log(path):
    data = open(path, "rb").read()
    assert data[:8] == b"AUTHAUDT", "not an audit log"
    entries = []
    at = 32
    while at < len(data):
        assert data[at:at + 4] == b"ALG1"
        rec = data[at + 8:at + 8 + 215]
        entries.append({"kind": KIND.get(rec[1], rec[1]), "allow": rec[2] == 1,
                        "reason": struct.unpack_from("<H", rec, 5)[0], "agent": rec[23:39].hex(),
                        "request_hash": rec[55:87]})
        at += 4 + 4 + 215 + 4
    return entries


def cli_run(args):
    """`authority run --user-agent/--user-caps/--child`: the same agents without a
    hand-made bundle, tokens from `authority cap mint` at the run's clock start."""
    failures = []
    with tempfile.TemporaryDirectory() as d:
        key = os.path.join(d, "k.key")
        bt.run_authority(args.authority, "keys", "gen", "-o", key)
        minted = bt.run_authority(args.authority, "cap", "mint", "--key", key, "--type", "fs", "--resource", "/data/**",
                                  "--methods", "read", "--now-ms", "1735689600000")
        caps = os.path.join(d, "hello.caps")
        with open(caps, "w") as f:
            f.write("# fs read under /data\n" + minted.stdout.strip().splitlines()[-1] + "\n")
        elf = lambda name: os.path.join(args.agents, name + ".elf")  # noqa: E731
        p = bt.run_authority(args.authority, "run", "--arch", args.arch, "--policy", bt.DEMO_POLICY, "--fs", bt.DEMO_FILES,
                             "--key", key, "--user-agent", "hello=" + elf("hello"), "--user-caps", "hello=" + caps,
                             "--user-agent", "spawn-revoke=" + elf("spawn-revoke"), "--user-caps", "spawn-revoke=" + caps,
                             "--child", "reader-revoked=" + elf("children/reader-revoked"), "--timeout", "240", timeout=300)
        for expected in ("agent hello: exit 0 ", "agent spawn-revoke: exit 0 ", "agent reader-revoked: exit 0 ",
                         "audit log: 1"):
            if expected not in p.stdout:
                failures.append(f"authority run --user-agent: '{expected}' missing")
        if p.returncode != 0:
            failures.append(f"authority run --user-agent exited {p.returncode}")
        bad = bt.run_authority(args.authority, "run", "--arch", args.arch, "--policy", bt.DEMO_POLICY,
                               "--user-agent", "Bad=" + elf("hello"))
        if bad.returncode != 2 or "NAME=FILE" not in bad.stderr:
            failures.append("authority run --user-agent with a bad name is not a usage error")
        if failures:
            print(p.stdout[-3000:], p.stderr[-1000:])
        else:
            print("  authority run --user-agent/--user-caps/--child: hello, spawn-revoke and its child as expected")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--authority", required=True)
    ap.add_argument("--arch", required=True)
    ap.add_argument("--agents", required=True, help="the arch's built agents (<build>/ports/nanos-kernel/<arch>/agents)")
    ap.add_argument("--measure", action="store_true", help="run the bench agents and print the figures")
    args = ap.parse_args()
    expect = EXPECT[args.arch]
    failures = []

    with tempfile.TemporaryDirectory() as d:
        agent_file = os.path.join(d, "caps.jsonl")
        with open(agent_file, "w") as f:
            f.write("\n".join(CAP_LINES) + "\n")
        base = os.path.join(d, "base.cpio")
        p = bt.run_authority(args.authority, "run", "--arch", "hosted", "--policy", bt.DEMO_POLICY, "--agent", agent_file,
                             "--fs", bt.DEMO_FILES, "--bundle-out", base)
        if p.returncode != 0:
            print(p.stdout, p.stderr)
            return 1
        raw = open(base, "rb").read()
        fs_token, infer_token, revoked_token, spawner_token = frame_capabilities(bt.member(raw, "authority/workload"))
        assert len({fs_token, revoked_token, spawner_token}) == 3
        members = [m for m in bt.read_cpio(raw) if m[0] != "authority/workload"]
        members.append(("authority/revoked", 0o100644, caps_blob([revoked_token])))
        if not any(m[0] == "agents" for m in members):
            members.append(("agents", 0o040755, b""))

        def elf(name):
            return open(os.path.join(args.agents, name + ".elf"), "rb").read()

        plan = [("bench-yield", ("exit", None)), ("bench-allowed", ("exit", None)), ("bench-denied", ("exit", None))] \
            if args.measure else expect
        members.append(("children", 0o040755, b""))
        for name, _ in plan:
            if name.startswith("child:"):
                child = name[len("child:"):]
                members.append((f"children/{child}.elf", 0o100644, elf("children/" + child)))
                continue
            if name == "garbage-elf":
                body = b"\x7fELF" + bytes(range(256)) * 4
            elif name == "wx-elf":
                body = wx_elf(elf("hello"))
            else:
                body = elf(name)
            members.append((f"agents/{name}.elf", 0o100644, body))
            members.append((f"agents/{name}.caps", 0o100644,
                            caps_blob({"budget": [infer_token], "revoked": [revoked_token], "spawn-wider": [fs_token, infer_token],
                                       "spawn-revoke": [spawner_token]}.get(name, [fs_token]))))
        bundle = os.path.join(d, "agents.cpio")
        with open(bundle, "wb") as f:
            f.write(bt.write_cpio(members))

        log = os.path.join(d, "audit.log")
        p = bt.run_authority(args.authority, "run", "--arch", args.arch, "--bundle", bundle, "--audit-out", log,
                             "--verbose", "--timeout", "240", timeout=300)
        out = p.stdout
        if p.returncode != 0:
            failures.append(f"authority run exited {p.returncode} (0 expected: enforced, log verified)")
        if "PANIC" in out:
            failures.append("the kernel panicked")

        lines = {}
        for m in re.finditer(r"agent ([\w-]+): (fault: .*|refused: .*|exit (\d+) after .*)", out):
            lines[m.group(1)] = m.group(0).rstrip("\r")
        entries = read_log(log) if os.path.exists(log) else []
        if not entries:
            failures.append("no audit log")
        v = bt.run_authority(args.authority, "audit", "verify", log)
        if v.returncode != 0:
            failures.append(f"audit verify: {v.stdout.strip()} {v.stderr.strip()}")

        # Per agent, in bundle order: agent_start, then (decisions and outcomes), then one
        # agent_exit or agent_fault with the expected reason.
        starts = [i for i, e in enumerate(entries) if e["kind"] == "agent_start"]
        if len(starts) != len(plan):
            failures.append(f"{len(starts)} agent_start entries for {len(plan)} agents")
        for k, (planned, (what, detail)) in enumerate(plan):
            name = planned.split(":", 1)[-1]
            line = lines.get(name)
            if line is None:
                failures.append(f"{name}: no exit, fault or refusal on the console")
                continue
            if k < len(starts):
                stop = starts[k + 1] if k + 1 < len(starts) else len(entries)
                own = entries[starts[k]:stop]
                last = own[-1]
                kinds = {"fault": "agent_fault", "refused": "agent_fault", "exit": "agent_exit"}
                if last["kind"] != kinds[what]:
                    failures.append(f"{name}: last audit entry is {last['kind']}, {kinds[what]} expected")
                allowed = detail if isinstance(detail, tuple) else (detail,)
                if what in ("fault", "refused") and REASON.get(last["reason"], last["reason"]) not in allowed:
                    failures.append(f"{name}: audited reason {REASON.get(last['reason'], last['reason'])}, {detail} expected")
                if what == "fault" and last["request_hash"] != hashlib.sha256(line.encode()).digest():
                    failures.append(f"{name}: the fault entry's request hash is not SHA-256 of '{line}'")
                if any(e["agent"] != own[0]["agent"] for e in own):
                    failures.append(f"{name}: entries of another agent id inside its run")
            allowed = detail if isinstance(detail, tuple) else (detail,)
            if what == "fault" and not (line.startswith(f"agent {name}: fault:") and any(f"({r})" in line for r in allowed)):
                failures.append(f"{name}: expected a fault ({detail}), got '{line}'")
            elif what == "refused" and not line.startswith(f"agent {name}: refused: {detail}"):
                failures.append(f"{name}: expected refused ({detail}), got '{line}'")
            elif what == "exit":
                m = re.match(rf"agent {re.escape(name)}: exit (\d+)", line)
                if not m:
                    failures.append(f"{name}: expected an exit, got '{line}'")
                elif detail is not None and int(m.group(1)) != detail:
                    failures.append(f"{name}: exit {m.group(1)}, {detail} expected (the agent's own check failed)")
            print(f"  {line}")
        for m in re.finditer(r"agent [\w-]+: \d+ us of user time over \d+ timer interrupts", out):
            print(f"  {m.group(0)}")
        if args.measure:
            hz = re.search(r"clock: counter at (\d+) Hz", out)
            hz = int(hz.group(1)) if hz else 0
            us = (lambda t: f"{t * 1e6 / hz:.1f} us") if hz else (lambda t: "? us")
            print(f"MEASURE {args.arch} counter {hz} Hz")
            for m in re.finditer(r"agent (bench-[\w-]+): exit (\d+) after \d+ system calls; gate_service::handle (\d+) calls, "
                                 r"(\d+) ticks \(audit streaming (\d+) ns\); decision lines (\d+) ticks", out):
                calls = int(m.group(3))
                trip = int(m.group(2))
                handle = int(m.group(4)) // calls if calls else 0
                stream = int(m.group(5)) * hz // 10**9 // calls if calls else 0
                line = int(m.group(6)) // calls if calls else 0
                print(f"MEASURE {args.arch} {m.group(1)}: round trip {trip} ({us(trip)}); in-kernel gate_service::handle "
                      f"{handle} ({us(handle)}), of it audit streaming {stream} ({us(stream)}), without it "
                      f"{handle - stream} ({us(handle - stream)}); @decision line {line} ({us(line)}); "
                      f"trap + copies {trip - handle - line} ({us(trip - handle - line)}) — counter ticks, mean of 64")

    if not args.measure:
        failures += cli_run(args)

    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        print("\n--- console ---\n" + out[-6000:])
        return 1
    print(f"\nall {len(plan)} agents stopped or ran as expected; the audit log verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
