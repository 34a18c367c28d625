#!/usr/bin/env python3
# A corpus of a few very active keys: N transactions (default 50,000) of U users (default 20),
# 50 ms apart, so that each user has ~2,500 entries in the reference rules' `payments_1h` window
# and its 24-hour windows. For the cost of recording into and reading large windows
# (docs/performance.md, "s19-agg: the states changed in place"). Usage:
#   python3 bench/hot_keys.py OUT.jsonl [N] [U]
#   /usr/bin/time -f "%U s user" sentinel replay --rules rules/ OUT.jsonl -o /dev/null
import datetime
import json
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
users = int(sys.argv[3]) if len(sys.argv) > 3 else 20
t0 = datetime.datetime(2026, 11, 23)
with open(out, "w") as f:
    for i in range(n):
        ts = (t0 + datetime.timedelta(milliseconds=50 * i)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        u = "u%02d" % (i % users)
        f.write(json.dumps({
            "event_id": "hot-%06d" % i, "type": "transaction", "ts": ts, "user_id": u,
            "amount": 100 + i % 50, "currency": "USD", "device_id": "dev-" + u,
            "country_code": "US", "card_country": "US"}) + "\n")
