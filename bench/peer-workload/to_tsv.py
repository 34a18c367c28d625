#!/usr/bin/env python3
"""Decision lines of `sentinel replay` (JSON) → the peers' decisions format, one line per event:
event_id TAB action TAB score TAB comma-separated matched rule ids (sorted; `replay` sorts them).
A rejected event (an `error` line) is written as `event_id TAB error TAB message`, so it can
never compare equal to a peer's decision."""
import json
import sys

for line in sys.stdin:
    d = json.loads(line)
    if "error" in d:
        sys.stdout.write(f"{d.get('event_id', '')}\terror\t{d['error']}\n")
    else:
        sys.stdout.write(f"{d['event_id']}\t{d['action']}\t{d['score']}\t{','.join(d['rules'])}\n")
