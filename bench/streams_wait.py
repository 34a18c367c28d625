#!/usr/bin/env python3
"""Waits until a consumer group has read every entry of a stream and nothing is pending.

Usage: streams_wait.py PORT STREAM GROUP PID
Polls XINFO GROUPS every 10 ms over one connection (no process per poll: a `redis-cli` per
poll cost the measured consumer CPU), and exits 0 once the group's `pending` and `lag` are 0,
or 1 when process PID has exited first. Prints the time it saw the group done (seconds since the
epoch) on stdout.
"""
import os
import socket
import sys
import time


def command(sock, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("Redis closed the connection")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buf) < n + 2:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("Redis closed the connection")
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n + 2:]
        return out

    def reply(self):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-"):
            return rest.decode()
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.exact(n).decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ValueError(f"unexpected reply {line!r}")


def main():
    port, stream, group, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    sock = socket.create_connection(("127.0.0.1", port))
    reader = Reader(sock)
    while True:
        command(sock, "XINFO", "GROUPS", stream)
        groups = reader.reply()
        for g in groups if isinstance(groups, list) else []:
            info = dict(zip(g[::2], g[1::2]))
            if info.get("name") == group and info.get("pending") == 0 and info.get("lag") == 0:
                print(f"{time.time():.6f}")
                return 0
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return 1
        except FileNotFoundError:
            return 1
        time.sleep(0.01)


if __name__ == "__main__":
    sys.exit(main())
