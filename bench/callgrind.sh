#!/usr/bin/env bash
# Executed instructions of `sentinel replay`'s two threads, which the host's load does not move:
# callgrind over the first LINES lines (default 20,000) of EVENTS, counting only inside the
# deciding thread's per-line work (`EventProcessor.process(prepared:…)`) and the decoding
# thread's (`LinePreparer.decode`, `runState`, `settleIDs`). The figures of docs/performance.md's
# "s20" sections. Needs valgrind (Debian: apt-get install valgrind); valgrind 3.19 cannot read
# the DWARF 5 the Swift toolchain writes, so the binary is copied without its debug info first;
# Swift's hashing is made deterministic (SWIFT_DETERMINISTIC_HASHING), or the seed moves the
# counts by up to ~1 % from run to run.
# With WHOLE=1 every instruction of each thread is counted (start-up included: the deciding
# thread's figure is then mostly the bundle's loading), for changes outside those functions.
# Usage: [WHOLE=1] bash bench/callgrind.sh SENTINEL RULES.sbc EVENTS.jsonl [LINES=20000]
set -euo pipefail
command -v valgrind >/dev/null || { echo "bench/callgrind.sh needs valgrind" >&2; exit 1; }
bin=$(realpath "$1")
rules=$(realpath "$2")
events=$(realpath "$3")
lines=${4:-20000}
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
objcopy --strip-debug "$bin" "$w/sentinel"
head -n "$lines" "$events" >"$w/events.jsonl"
toggles=(--toggle-collect='*EventProcessorC7process8prepared*'
  --toggle-collect='*LinePreparerV6decode_*' --toggle-collect='*LinePreparerV8runState*'
  --toggle-collect='*LinePreparerV9settleIDs*')
[ "${WHOLE:-}" = 1 ] && toggles=()
(cd "$w" && SWIFT_DETERMINISTIC_HASHING=1 valgrind --tool=callgrind --separate-threads=yes "${toggles[@]}" \
  ./sentinel replay --rules "$rules" events.jsonl -o out.jsonl >/dev/null 2>&1)
# One file per thread: the deciding thread is the process's first (main) thread; the decoding
# thread is the other one with instructions counted.
for f in "$w"/callgrind.out.*-*; do
  n=$(sed -n 's/^summary: //p' "$f")
  # Whole threads: only the two that do the work (the writer's and the loader's are small).
  [ -n "$n" ] && [ "$n" -gt "$([ "${WHOLE:-}" = 1 ] && echo 50000000 || echo 0)" ] || continue
  case "$f" in
    *-01) echo "deciding thread: $n instructions" ;;
    *) echo "decoding thread: $n instructions" ;;
  esac
done
