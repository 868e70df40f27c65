"""Helpers for the kernel's Python tests: run `authority`, and read and write boot
bundles (cpio newc, as include/authority/bundle.hpp describes) to make bad ones."""
import json
import os
import subprocess
import tempfile

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO_POLICY = os.path.join(SOURCE_DIR, "examples", "policies", "default.json")
DEMO_AGENT = os.path.join(SOURCE_DIR, "examples", "agents", "demo.jsonl")
DEMO_FILES = os.path.join(SOURCE_DIR, "examples", "agents", "demo-files")


def run_authority(authority, *args, timeout=300):
    return subprocess.run([authority, *args], capture_output=True, text=True, timeout=timeout)


def run_report(authority, arch, *args, timeout=300):
    """`authority run --arch ARCH ... --report`: (process, report dict or None)."""
    with tempfile.TemporaryDirectory() as d:
        report = os.path.join(d, "report.json")
        p = run_authority(authority, "run", "--arch", arch, "--report", report, *args, timeout=timeout)
        data = None
        if os.path.exists(report):
            with open(report) as f:
                data = json.load(f)
        return p, data


def read_cpio(data):
    """[(name, mode, bytes)] of a newc archive (the trailer excluded)."""
    out = []
    at = 0
    while True:
        header = data[at:at + 110]
        assert header[:6] in (b"070701", b"070702"), f"bad magic at {at}"
        fields = [int(header[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = fields[1], fields[6], fields[11]
        name = data[at + 110:at + 110 + namesize - 1].decode()
        body = (at + 110 + namesize + 3) & ~3
        if name == "TRAILER!!!":
            return out
        out.append((name, mode, data[body:body + size]))
        at = (body + size + 3) & ~3


def write_cpio(members):
    """A newc archive of [(name, mode, bytes)], as the host's bundle builder writes it."""
    out = bytearray()

    def entry(ino, name, mode, body):
        fields = [ino, mode, 0, 0, 2 if mode & 0o040000 else 1, 0, len(body), 0, 0, 0, 0, len(name) + 1, 0]
        out.extend(b"070701" + b"".join(b"%08X" % f for f in fields) + name.encode() + b"\0")
        out.extend(b"\0" * (-len(out) % 4))
        out.extend(body)
        out.extend(b"\0" * (-len(out) % 4))

    for i, (name, mode, body) in enumerate(members):
        entry(i + 1, name, mode, body)
    entry(0, "TRAILER!!!", 0, b"")
    return bytes(out)


def replace_member(data, name, body):
    members = read_cpio(data)
    assert any(m[0] == name for m in members), name
    return write_cpio([(n, mode, body if n == name else b) for n, mode, b in members])


def member(data, name):
    return next(b for n, _, b in read_cpio(data) if n == name)
