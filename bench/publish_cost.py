#!/usr/bin/env python3
"""redis-server CPU per published decision: the consumer's outbox script (EVALSHA, the
watermark check in Lua) against MULTI/EXEC and plain pipelined XADDs of the same entries.

Usage: python3 bench/publish_cost.py [ROUNDS=200] [ROWS=512]
Starts a private redis-server on a free loopback port (no persistence), reads the script from
Sources/SentinelStreams/ConsumerLoop.swift, and prints redis-server's CPU (user + system, from
/proc) per XADD for each way. docs/performance.md, session 13.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 512

source = open(os.path.join(ROOT, "Sources/SentinelStreams/ConsumerLoop.swift")).read()
match = re.search(r'static let publishScript = """\n(.*?)\n    """', source, re.S)
if not match:
    sys.exit("publish script not found in ConsumerLoop.swift")
script = "\n".join(line[4:] for line in match.group(1).split("\n"))

probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
work = tempfile.mkdtemp()
server = subprocess.Popen(
    ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
     "--dir", work], stdout=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            sock = socket.create_connection(("127.0.0.1", port))
            break
        except OSError:
            time.sleep(0.05)
    buf = b""

    def enc(*args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        return out

    def reply():
        global buf

        def line():
            global buf
            while b"\r\n" not in buf:
                buf += sock.recv(1 << 20)
            head, buf = buf.split(b"\r\n", 1)
            return head

        head = line()
        kind = head[:1]
        if kind in (b"+", b"-", b":"):
            return head
        if kind == b"$":
            n = int(head[1:])
            if n < 0:
                return None
            while len(buf) < n + 2:
                buf += sock.recv(1 << 20)
            value, buf = buf[:n], buf[n + 2:]
            return value
        return [reply() for _ in range(int(head[1:]))]

    def cpu():
        fields = open(f"/proc/{server.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    sock.sendall(enc("SCRIPT", "LOAD", script))
    sha = reply()
    body = (b'{"event_id":"evt_6d06912e13df","action":"allow","score":25,"rules":["new_device_high_value"],'
            b'"reasons":[{"rule":"new_device_high_value","reason":"first use of device dev-bc84dbb775"}]}')

    def run(label, batch, replies):
        start = cpu()
        for r in range(rounds):
            sock.sendall(batch(r))
            for _ in range(replies):
                reply()
        spent = cpu() - start
        print(f"{label:34s} redis-server CPU {spent:.2f} s for {rounds * rows} XADDs: "
              f"{spent / (rounds * rows) * 1e6:.2f} µs per XADD")

    def lua(r):
        args = ["EVALSHA", sha, 2, "watermark", "out-lua"]
        for i in range(rows):
            args += [r * rows + i + 1, 2, "decision", body, ""]
        return enc(*args)

    def multi(r):
        out = enc("MULTI")
        for _ in range(rows):
            out += enc("XADD", "out-multi", "*", "decision", body)
        return out + enc("SET", "watermark-multi", r) + enc("EXEC")

    def plain(r):
        return b"".join(enc("XADD", "out-plain", "*", "decision", body) for _ in range(rows))

    print(f"redis-server {subprocess.run(['redis-server', '--version'], capture_output=True, text=True).stdout.split()[2]}, "
          f"{rounds} rounds of {rows} rows, load {open('/proc/loadavg').read().split()[0]}")
    run("EVALSHA (the consumer's script)", lua, 1)
    run("MULTI / XADD… / SET / EXEC", multi, rows + 3)
    run("plain pipelined XADD", plain, rows)
finally:
    server.kill()
