#!/usr/bin/env bash
# The idle daemon's resident set (issue 6: RSS ≤ 64 MiB with the reference rules): starts
# `sentinel serve` on a fresh SQLite file with RULES (default rules/, compiled at start like
# `make run`; or a compiled .sbc), waits SETTLE seconds after `listening on` (default 8: one
# periodic trim has run), prints VmRSS, RssAnon and RssFile, and stops it.
# Usage: bash bench/idle_rss.sh [SENTINEL=.build/release/sentinel] [RULES=rules/]
# Several builds: for b in A B A B; do bash bench/idle_rss.sh $b; done
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/sentinel}
rules=${2:-rules/}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" serve --db "$work/s.db" --rules "$rules" --listen 127.0.0.1:0 --log-level warning --no-demo-key \
  >"$work/out" 2>&1 &
pid=$!
for _ in $(seq 1 300); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$work/out" || { cat "$work/out" >&2; exit 1; }
sleep "${SETTLE:-8}"
echo "$bin ($rules): $(awk '/VmRSS|RssAnon|RssFile/ {printf "%s %s kB  ", $1, $2}' /proc/$pid/status)"
