#!/usr/bin/env bash
# Generates the peer workload's events into DIR (default .build/peer-workload) unless already
# there: peers/gen_events.py with its default seed (20240601) and size (200,000 events).
# Usage: bash bench/peer-workload/gen.sh [DIR]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR=${1:-$HERE/../../.build/peer-workload}
mkdir -p "$DIR"
stamp=$(cat "$HERE/peers/gen_events.py" "$HERE/peers/rules.yaml" | sha256sum | cut -c1-16)
if [ ! -f "$DIR/events.jsonl" ] || [ "$(cat "$DIR/.stamp" 2>/dev/null)" != "$stamp" ]; then
  python3 "$HERE/peers/gen_events.py" --rules "$HERE/peers/rules.yaml" --out "$DIR" >/dev/null
  echo "$stamp" > "$DIR/.stamp"
fi
