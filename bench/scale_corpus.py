#!/usr/bin/env python3
"""Scales the reference corpus: N copies, each with its own event ids, users and devices, and
its timestamps shifted by 4 days per copy (the corpus spans 3 days), so that copies never share
state or windows and each copy must get exactly the reference decisions (with renamed ids).

Usage: python3 bench/scale_corpus.py N EVENTS.jsonl DECISIONS.jsonl OUT_EVENTS OUT_DECISIONS
"""
import datetime
import json
import re
import sys

TS = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z$")


def shift(ts, days):
    m = TS.match(ts)
    if not m:
        return ts
    try:
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S") + datetime.timedelta(days=days)
    except ValueError:  # not a real date: a rejected event, left as it is
        return ts
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (m.group(2) or "") + "Z"


def rename(v, k):
    return f"{v}~{k}" if isinstance(v, str) else v


def main():
    n = int(sys.argv[1])
    events = open(sys.argv[2], encoding="utf-8").read().split("\n")
    decisions = open(sys.argv[3], encoding="utf-8").read().split("\n")
    if events[-1] == "":
        events.pop()
    if decisions[-1] == "":
        decisions.pop()
    with open(sys.argv[4], "w", encoding="utf-8") as oe, open(sys.argv[5], "w", encoding="utf-8") as od:
        for k in range(n):
            for line, dline in zip(events, decisions):
                try:
                    e = json.loads(line)
                except ValueError:
                    e = None
                if k > 0 and isinstance(e, dict):
                    for f in ("event_id", "user_id", "device_id", "ip"):
                        if f in e:
                            e[f] = rename(e[f], k)
                    if isinstance(e.get("ts"), str):
                        e["ts"] = shift(e["ts"], 4 * k)
                    line = json.dumps(e, separators=(",", ":"), ensure_ascii=False)
                d = json.loads(dline)
                if k > 0 and "event_id" in d:
                    d["event_id"] = rename(d["event_id"], k)
                oe.write(line + "\n")
                od.write(json.dumps(d, separators=(",", ":"), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
