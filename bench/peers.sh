#!/usr/bin/env bash
# The peer benchmark and SentinelIQ in one run: ../shared/bench/peers/run.sh (hand-written native
# Swift, LuaJIT, hand-written Python, CEL C++ and Rust through Python, GoRules Zen, cel-python;
# see its README) and then, on the same 200,000 events, `sentinel bench` (decode, eval, end to
# end, allocations) and the decision check against the peers' reference decisions. Prints one
# table with every row's ratio to the hand-written Swift of this run.
#
# Usage: bash bench/peers.sh        (PEERS=dir of the peer scripts, default ../shared/bench/peers;
#        PEERS_WORK=its work folder, default ~/.cache/sentinel-peers; QUICK=1 runs only the
#        native Swift and LuaJIT runners of the peers, the two targets of issue 5, as run.sh
#        would run them; ITERATIONS=5 for sentinel bench; BLOCK=N for its end-to-end pass in
#        blocks of N lines, `sentinel bench --block N`)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PEERS=${PEERS:-$ROOT/../shared/bench/peers}
PEERS="$(cd "$PEERS" && pwd)"
export PEERS_WORK=${PEERS_WORK:-${XDG_CACHE_HOME:-$HOME/.cache}/sentinel-peers}
ITERATIONS=${ITERATIONS:-5}
(cd "$ROOT" && swift build -c release --product sentinel >/dev/null)
SENTINEL=$ROOT/.build/release/sentinel

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -z "${QUICK:-}" ]; then
  bash "$PEERS/run.sh"
else
  # run.sh's own steps for its first two runners (data, rules_meta, build), nothing else.
  mkdir -p "$PEERS_WORK" && cp "$PEERS"/*.py "$PEERS"/*.lua "$PEERS"/*.swift "$PEERS"/rules.yaml "$PEERS_WORK"/
  (
    cd "$PEERS_WORK"
    stamp=$(cat gen_events.py rules.yaml | sha256sum | cut -c1-16)
    if [ ! -f data/events.jsonl ] || [ "$(cat data/.stamp 2>/dev/null)" != "$stamp" ]; then
      python3 gen_events.py --out data && echo "$stamp" > data/.stamp
    fi
    python3 - <<'PYEOF'
import re
ids = []
rules, cur = [], None
for line in open("rules.yaml"):
    m = re.match(r"^- id: (\S+)", line)
    if m:
        cur = {"id": m.group(1)}; rules.append(cur); continue
    m = re.match(r"^  (action|score): (\S+)", line)
    if m and cur is not None:
        cur[m.group(1)] = m.group(2)
rules.sort(key=lambda r: r["id"])
open("data/rules_meta.tsv", "w").write("".join("%s\t%d\t%s\n" % (r["id"], int(r["score"]), r["action"]) for r in rules))
open("data/rules_meta.lua", "w").write("return {\n" + "".join(
    '  {id="%s", score=%d, action="%s"},\n' % (r["id"], int(r["score"]), r["action"]) for r in rules) + "}\n")
PYEOF
    mkdir -p build results
    rm -f results/*.json results/*.tsv
    ${SWIFTC:-swiftc} -O runner.swift -o build/runner
    export SWIFT_VERSION_STR="$(${SWIFTC:-swiftc} --version 2>&1 | head -1 | sed 's/ (.*//')"
    ./build/runner 3 20
    luajit run_luajit.lua 3 5
  )
fi

echo "== sentinel bench (same events) =="
"$SENTINEL" bench --rules "$ROOT/bench/peer-workload/rules" "$PEERS_WORK/data/events.jsonl" --json \
  --iterations "$ITERATIONS" --block "${BLOCK:-1}" | tee "$PEERS_WORK/results/sentinel.bench.json"
echo "== sentinel decisions =="
DATA="$PEERS_WORK/data" SENTINEL="$SENTINEL" bash "$ROOT/bench/peer-workload/check.sh" || true

python3 - "$PEERS_WORK/results" <<'PYEOF'
import glob, json, os, sys
R = sys.argv[1]
rows = {}
for p in glob.glob(os.path.join(R, "*.json")):
    if p.endswith("compare.json") or p.endswith("sentinel.bench.json"):
        continue
    d = json.load(open(p))
    rows[d["name"]] = d
cmp = json.load(open(os.path.join(R, "compare.json"))) if os.path.exists(os.path.join(R, "compare.json")) else {}
s = json.load(open(os.path.join(R, "sentinel.bench.json")))
base = rows.get("swift-native", {}).get("ns_per_event")
print("| engine | mode | events | ns/event | events/s | × native Swift | decode ns/ev | decisions identical |")
print("|---|---|---:|---:|---:|---:|---:|---|")
def ratio(ns):
    return f"{ns / base:,.2f}" if base else "?"
print(f"| SentinelIQ VM (`sentinel bench`) | eval, pre-decoded | {s['events']:,} | {s['eval_ns_per_event']:,.0f} | "
      f"{1e9 / s['eval_ns_per_event']:,.0f} | {ratio(s['eval_ns_per_event'])} | {s['decode_ns_per_event']:,.0f} | see check |")
block = s.get('end_to_end_block', 1)
e2e_mode = "JSON line → decision" + (f", blocks of {block}" if block > 1 else "")
print(f"| SentinelIQ (`sentinel bench`) | {e2e_mode} | {s['events']:,} | {s['end_to_end_ns_per_event']:,.0f} | "
      f"{1e9 / s['end_to_end_ns_per_event']:,.0f} | {ratio(s['end_to_end_ns_per_event'])} | (included) | see check |")
for n, d in sorted(rows.items(), key=lambda kv: kv[1]["ns_per_event"]):
    mode = n.split(".", 1)[1] if "." in n else "fused fn"
    ident = {True: "yes", False: "NO"}.get(cmp.get(n), "not checked")
    print(f"| {d['engine']} {d['version']} | {mode} | {d['n_events']:,} | {d['ns_per_event']:,.0f} | "
          f"{d['events_per_s']:,.0f} | {ratio(d['ns_per_event'])} | {d['decode_ns_per_event']:,.0f} | {ident} |")
print(f"\nsentinel allocations/event: eval {s['allocations_per_event']}, decode {s['decode_allocations_per_event']}, "
      f"end to end {s['end_to_end_allocations_per_event']}")
PYEOF
