#!/usr/bin/env python3
"""What a fold's rows cost SQLite (docs/performance.md, "Deferred indexes"): on a copy of a state
database written by `sentinel replay --state` and folded (`--fold-every` below its size, or a
state database after `foldNow`), times inserting its last 16,384 event ids back into
`event_index` in key order (v6: 64-bit keys), upserting 16,000 of its states into `aggregate_state` in key order,
and, as the binding's own cost, inserting the same ids into an empty temporary rowid table. Each
in a transaction that is rolled back. Python's `sqlite3` binding adds the same cost to each; the
differences are SQLite's. Usage: python3 bench/fold_costs.py STATE.db"""
import os, random, shutil, sqlite3, sys, tempfile, time

src = sys.argv[1]
work = tempfile.mkdtemp()
db_path = os.path.join(work, "copy.db")
shutil.copy(src, db_path)
if os.path.exists(src + "-wal"):
    shutil.copy(src + "-wal", db_path + "-wal")
db = sqlite3.connect(db_path, isolation_level=None)
db.execute("pragma cache_size=-32768")
ids = sorted(db.execute("select key, decision_id from event_index order by decision_id desc limit 16384"))
states = sorted(db.execute("select tenant, aggregate, key, state from aggregate_state"))
if len(ids) < 1000 or len(states) < 1000:
    sys.exit("needs a folded database with at least 1,000 event ids and states in their tables")
db.execute("delete from event_index where decision_id >= ?", (min(r[1] for r in ids),))
random.seed(1)
sample = sorted(random.sample(states, min(16000, len(states))))
db.execute("create temp table t (a, b)")

def timed(label, sql, rows):
    db.execute("begin")
    t = time.perf_counter()
    db.executemany(sql, rows)
    dt = time.perf_counter() - t
    db.execute("rollback")
    print(f"{label:44s} {1e6 * dt / len(rows):6.2f} µs per row ({len(rows)} rows)")

print(f"sqlite {sqlite3.sqlite_version}; event_index {db.execute('select count(*) from event_index').fetchone()[0]} rows, aggregate_state {len(states)} rows")
for _ in range(2):
    timed("event_index insert, key order", "insert into event_index (key, decision_id) values (?, ?)", ids)
    timed("aggregate_state upsert, key order",
          "insert into aggregate_state (tenant, aggregate, key, state) values (?, ?, ?, ?) "
          "on conflict (tenant, aggregate, key) do update set state = excluded.state", sample)
    timed("insert into an empty rowid table (binding)", "insert into t values (?, ?)", ids)
shutil.rmtree(work)
