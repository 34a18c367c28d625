#!/usr/bin/env bash
# SQLite replay, two builds alternating (BASE first in odd rounds): events/s, each thread's CPU,
# the process's user+sys CPU and the load, per run; each output compared with the first BASE
# output, then per build the median and best of events/s and of each thread's CPU. For
# before/after comparisons on a shared machine where one invocation of
# bench/replay.sh (NEW first, then BASE) is disturbed by whatever runs beside it.
# With MEMORY=1 the replays keep their state in memory (no --state; BATCH still sets --batch).
# With BASE_RULES=<bundle> the base replays that bundle (e.g. the one its own compiler made) and
# the new build RULES.sbc: a comparison that includes what a compiler change does.
# Usage: BASE_SENTINEL=<base> SENTINEL=<new> [MEMORY=1] [BASE_RULES=<bundle>] bash bench/replay_ab.sh RULES.sbc EVENTS.jsonl [ROUNDS=4] [BATCH=1000]
set -euo pipefail
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time" >&2; exit 1; }
: "${BASE_SENTINEL:?set BASE_SENTINEL}" "${SENTINEL:?set SENTINEL}"
rules=$1
events=$2
rounds=${3:-4}
batch=${4:-1000}
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
for i in $(seq 1 "$rounds"); do
  if [ $((i % 2)) = 1 ]; then order="base new"; else order="new base"; fi
  for b in $order; do
    if [ "$b" = base ]; then bin=$BASE_SENTINEL; r=${BASE_RULES:-$rules}; else bin=$SENTINEL; r=$rules; fi
    rm -f "$w/$b.db"*
    state=(--state "$w/$b.db")
    [ "${MEMORY:-}" = 1 ] && state=()
    /usr/bin/time -f "%U %S" -o "$w/t" "$bin" replay --rules "$r" "${state[@]}" --batch "$batch" \
      "$events" -o "$w/$b.out" 2>"$w/err"
    [ -f "$w/first.out" ] || cp "$w/$b.out" "$w/first.out"
    cmp -s "$w/$b.out" "$w/first.out" || echo "  output of $b differs from the first run's"
    rate=$(head -1 "$w/err" | sed -E 's/.*\(([0-9]+) events.*/\1/')
    threads=$(grep 'CPU by thread' "$w/err" | sed 's/  CPU by thread: //')
    read -r u s <"$w/t"
    echo "round $i $b: $rate events/s, user+sys $(echo "$u + $s" | bc) s, $threads, load $(cut -d' ' -f1 /proc/loadavg)" |
      tee -a "$w/rounds"
  done
done
# Per build: the median and the best of each figure over the rounds (this machine's wall figures
# move ±30 % with the host's load: compare medians, and minima of the threads' CPU). A build that
# reports its threads' spinning (session 18 on) also gets each thread's work: its CPU less that.
python3 - "$w/rounds" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"round \d+ (\w+): (\d+) events/s", line)
    if not m:
        continue
    r = rows.setdefault(m[1], {"events/s": []})
    r["events/s"].append(float(m[2]))
    for name, secs in re.findall(r"(deciding|decoding|committing) ([\d.]+) s", line):
        r.setdefault(name + " s", []).append(float(secs))
    # A pipeline thread's CPU less what it spent spinning for the other (builds that report it).
    for name, secs, spin in re.findall(r"(deciding|decoding) ([\d.]+) s \(spinning ([\d.]+) s\)", line):
        r.setdefault(name + " work s", []).append(float(secs) - float(spin))
for b in ("base", "new"):
    if b not in rows:
        continue
    parts = []
    for k, v in rows[b].items():
        best = max(v) if k == "events/s" else min(v)
        parts.append(f"{k} median {statistics.median(v):g} (best {best:g})")
    print(f"{b} over {len(rows[b]['events/s'])} rounds: " + ", ".join(parts))
PY
