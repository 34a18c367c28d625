#!/usr/bin/env python3
"""Writes a rule set of N generated rules over the reference event schema (deterministic)."""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
rng = random.Random(20261125)
fields = [
    ('has(event.amount) && event.amount > {:.1f}', lambda: rng.choice([100, 1000, 5000, 9000])),
    ('event.type == "{}"', lambda: rng.choice(["login", "transaction", "withdrawal"])),
    ('has(event.country_code) && event.country_code in ["{}", "{}"]',
     lambda: (rng.choice(["KP", "IR", "SY", "CU"]), rng.choice(["GB", "US", "FR"]))),
    ('has(event.merchant_category) && event.merchant_category == "{}"',
     lambda: rng.choice(["6051", "4829", "7995", "6211"])),
    ('size(event.user_id) > {}', lambda: rng.randint(1, 9)),
]
out = ['list sanctioned = ["KP", "IR", "SY", "CU"]', '']
for i in range(n):
    parts = []
    for _ in range(rng.randint(1, 3)):
        tmpl, arg = rng.choice(fields)
        a = arg()
        parts.append(tmpl.format(*a) if isinstance(a, tuple) else tmpl.format(a))
    out.append(f'rule gen_{i} {{')
    out.append(f'  name: "Generated rule {i}"')
    out.append(f'  when: {" && ".join(parts)}')
    out.append(f'  score: {rng.choice([5, 10, 20, 40])}')
    out.append('}')
out.append('rule uses_list {\n  when: has(event.country_code) && event.country_code in sanctioned\n  action: block\n}')
print('\n'.join(out))
