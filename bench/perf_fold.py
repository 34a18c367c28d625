#!/usr/bin/env python3
# Folds a `perf record -g` profile by one frame: for the samples whose call stack holds a frame
# matching PATTERN (a regular expression on the symbol), counts the callee under it (DEPTH frames
# of callees, default 1), or `<self>` when the frame is the leaf. What the "samples under X"
# figures of docs/performance.md are. Usage:
#   perf record -e cpu-clock -F 8000 -g -o P.data -- sentinel replay --rules R.sbc E -o /dev/null
#   python3 bench/perf_fold.py P.data 'StateCacheV4read' [DEPTH]
import collections
import re
import subprocess
import sys

data, pat = sys.argv[1], sys.argv[2]
depth = int(sys.argv[3]) if len(sys.argv) > 3 else 1
out = subprocess.run(['perf','script','-i',data,'-F','comm,tid,ip,sym'], capture_output=True, text=True).stdout
cnt = collections.Counter(); total = 0
for block in out.split('\n\n'):
    lines = block.strip().split('\n')
    if len(lines) < 2: continue
    frames = [l.strip().split(' ',1)[1] if ' ' in l.strip() else '?' for l in lines[1:]]
    # frames[0] is leaf
    idx = None
    for i, f in enumerate(frames):
        if re.search(pat, f): idx = i; break
    if idx is None: continue
    total += 1
    if idx == 0: cnt['<self>'] += 1
    else:
        key = ' <- '.join(reversed(frames[max(0, idx-depth):idx]))
        cnt[key] += 1
print('total', total)
for k, v in cnt.most_common(45):
    print(f'{v:6d} {100*v/total:5.1f}%  {k[:230]}')
