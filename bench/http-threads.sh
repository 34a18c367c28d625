#!/usr/bin/env bash
# Where the daemon's CPU goes, by thread (issue 6): one daemon as in bench/http.sh (reference
# rules, SQLite state, the same events and key), wrk on ROUTE for SECONDS at CONNS connections,
# and for each kind of thread (Swift's pool, the commit queue's thread, NIO's event loops, …) its
# CPU time (user + system, /proc/PID/task/*/stat) and its voluntary and involuntary context
# switches (/proc/PID/task/*/status), per request; then the commit groups from /metrics and
# wrk's own CPU per request (it shares the cores). PERF=FILE also records
# `perf record -e cpu-clock -F 2000 -g` of the daemon during the run (for
# `perf report --no-children --sort dso,sym`). A diagnostic: compare builds with
# bench/http-pair.sh or bench/http.sh, not with this.
# Usage: SENTINEL=path bash bench/http-threads.sh [ROUTE=/v1/decisions] [SECONDS=8] [CONNS=64] [THREADS=2]
# (DAEMON_ARGS adds options to `serve`; ROUTE /v1/bench/constant is the ceiling route.)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/http_daemon.sh
source bench/http_daemon.sh
route=${1:-/v1/decisions}
seconds=${2:-8}
conns=${3:-64}
threads=${4:-2}
: "${SENTINEL:?set SENTINEL to a release build of sentinel}"
command -v wrk >/dev/null || { echo "bench/http-threads.sh needs wrk (Debian: apt-get install wrk)" >&2; exit 1; }
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); wrk: $threads threads, $conns connections, ${seconds}s, $route"
"$SENTINEL" compile rules/ -o "$work/rules.sbc" >/dev/null
python3 bench/http_events.py fixtures/reference-corpus/events.jsonl fixtures/reference-corpus/decisions.jsonl \
  "$work/events.txt" >/dev/null
export BENCH_EVENTS="$work/events.txt"
export BENCH_KEY="sk_bench_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
start_bench_daemon "$SENTINEL" "$work"
pid=$daemon_pid
url=$daemon_url
# Warm-up, not reported.
wrk -t "$threads" -c "$conns" -d 2s -s bench/http.lua "$url" -- "$route" warm >/dev/null 2>&1 || true
# tid, thread name (spaces as _), voluntary and involuntary switches, CPU ticks.
snapshot() {
  for t in /proc/"$pid"/task/*; do
    printf '%s %s %s %s\n' "$(basename "$t")" "$(tr ' ' _ <"$t/comm")" \
      "$(awk '/^voluntary_ctxt/ {v=$2} /^nonvoluntary_ctxt/ {n=$2} END {print v, n}' "$t/status")" \
      "$(awk '{print $14 + $15}' "$t/stat")"
  done
}
perf_pid=""
if [ -n "${PERF:-}" ]; then
  perf record -e cpu-clock -F 2000 -g -p "$pid" -o "$PERF" -- sleep "$seconds" >/dev/null 2>&1 &
  perf_pid=$!
fi
snapshot >"$work/before"
/usr/bin/time -f "%U %S" -o "$work/wrktime" \
  wrk -t "$threads" -c "$conns" -d "${seconds}s" --latency -s bench/http.lua "$url" -- "$route" run >"$work/wrk.txt" 2>&1
snapshot >"$work/after"
[ -n "$perf_pid" ] && { wait "$perf_pid" || true; }
curl -s "$url/metrics" >"$work/metrics.txt"
python3 - "$work/wrk.txt" "$work/before" "$work/after" "$work/wrktime" "$work/metrics.txt" "$(getconf CLK_TCK)" <<'PY'
import collections, sys
sys.path.insert(0, "bench")
from wrk_result import parse
w = parse(open(sys.argv[1]).read())
n, hz = max(w["total"], 1), int(sys.argv[6])
def snap(path):
    return {f[0]: (f[1], int(f[2]), int(f[3]), int(f[4])) for f in (l.split() for l in open(path)) if len(f) == 5}
before, after = snap(sys.argv[2]), snap(sys.argv[3])
rows = collections.defaultdict(lambda: [0, 0, 0])
for tid, (name, vol, invol, ticks) in after.items():
    b = before.get(tid, (name, 0, 0, 0))
    r = rows[name]
    r[0] += vol - b[1]; r[1] += invol - b[2]; r[2] += ticks - b[3]
print(f"{w['rps']:.0f} req/s, {w['total']} requests, p50 {w['p50']:.2f} ms, p99 {w['p99']:.2f} ms")
if w["refused"]:
    print(f"  NOT COUNTED: {w['refused']}")
total = sum(r[2] for r in rows.values())
print(f"daemon CPU {1e6 * total / hz / n:.1f} µs/request; by thread (name as the kernel keeps it):")
for name, (vol, invol, ticks) in sorted(rows.items(), key=lambda kv: -kv[1][2]):
    if ticks == 0 and vol == 0:
        continue
    print(f"  {name:<18} CPU {1e6 * ticks / hz / n:6.1f} µs   switches {vol / n:.3f} voluntary, {invol / n:.3f} involuntary per request")
user, system = (float(x) for x in open(sys.argv[4]).read().split()[:2])
print(f"wrk's CPU {1e6 * (user + system) / n:.1f} µs/request")
m = {}
for line in open(sys.argv[5]):
    if not line.startswith("#") and " " in line:
        k, _, v = line.rstrip().rpartition(" ")
        m[k] = float(v)
count = m.get("sentinel_commit_group_size_count", 0)
if count:
    print(f"commit groups since start: mean {m.get('sentinel_commit_group_size_sum', 0) / count:.1f} decisions ({count:.0f} commits)")
PY
