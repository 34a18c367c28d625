#!/usr/bin/env python3
"""Where a state database's commits write: WAL frames per transaction, by B-tree.

Usage:
  strace -f -o TRACE -e trace=pwrite64 -xx -s 24 sentinel replay --state DB …   (or -p PID)
  python3 bench/walstat.py TRACE DB [DECISIONS]

SQLite writes each WAL frame as a 24-byte header (page number, and the database size on a
commit's last frame) and then the page, so the trace gives every transaction's distinct pages;
`dbstat` on the final database (DB) names the B-tree that owns each page. Writes of a whole page
to another file descriptor are checkpoint copies into the database file. With DECISIONS (the
decisions committed while traced), the figures are also given per decision.
"""
import collections
import re
import sqlite3
import sys

trace, dbpath = sys.argv[1], sys.argv[2]
ndec = int(sys.argv[3]) if len(sys.argv) > 3 else None
db = sqlite3.connect(f"file:{dbpath}?mode=ro", uri=True)
owner = dict((pageno, name) for name, pageno in db.execute("SELECT name, pageno FROM dbstat"))
psize = db.execute("PRAGMA page_size").fetchone()[0]
rx = re.compile(r'pwrite64\((\d+), "((?:\\x[0-9a-f]{2})*)"(?:\.\.\.)?, (\d+), (\d+)\)')
commits, cur, frames, walfd, pages_out = [], set(), 0, None, []
for line in open(trace):
    m = rx.search(line)
    if not m:
        continue
    fd, hexs, length = int(m[1]), m[2], int(m[3])
    if length == 24:
        walfd = fd
        b = bytes(int(h, 16) for h in hexs.split("\\x")[1:])
        cur.add(int.from_bytes(b[0:4], "big"))
        frames += 1
        if int.from_bytes(b[4:8], "big"):
            commits.append((frames, cur))
            cur, frames = set(), 0
    elif length == psize:
        pages_out.append(fd)
checkpoint = sum(1 for fd in pages_out if fd != walfd)
n = max(len(commits), 1)
total = sum(f for f, _ in commits)
print(f"page size {psize}; commits {len(commits)}; WAL frames {total} ({total / n:.1f} per commit); "
      f"checkpoint page copies {checkpoint}")
if ndec:
    print(f"per decision: WAL {total / ndec:.3f} frames = {total * (psize + 24) / ndec:.0f} B; "
          f"checkpoint {checkpoint / ndec:.3f} pages = {checkpoint * psize / ndec:.0f} B")
by = collections.Counter()
for _, pages in commits:
    for p in pages:
        by[owner.get(p, "?")] += 1
print("distinct pages dirtied per commit, by B-tree (mean):")
for k, v in by.most_common():
    if v / n >= 0.05:
        print(f"  {k:30s} {v / n:8.1f}")
