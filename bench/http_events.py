#!/usr/bin/env python3
"""The HTTP benchmarks' events (bench/http.sh, bench/http-pair.sh, bench/http-threads.sh): the
reference corpus' valid events (those whose golden line is a decision), one per line, each
event id replaced by __ID__ (bench/http.lua sends each with a fresh id).

Usage: http_events.py EVENTS.jsonl DECISIONS.jsonl OUT.txt   (prints how many it wrote)
"""
import json
import re
import sys

events = [l for l in open(sys.argv[1]) if l.strip()]
golden = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
n = 0
with open(sys.argv[3], "w") as out:
    for line, g in zip(events, golden):
        if "error" in g:
            continue
        line, k = re.subn(r'"event_id"\s*:\s*"(?:[^"\\]|\\.)*"', '"event_id":"__ID__"', line.strip(), count=1)
        if k == 1:
            out.write(line + "\n")
            n += 1
print(f"events: {n} valid reference-corpus events, cycled, each sent with a fresh event id")
