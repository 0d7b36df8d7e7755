"""Turns bench/scale.sh's measurements into the printed table and the JSON results file, and
exits with 1 when a measurement had answers that were not 2xx or never came. A ratio above the
target is a MISS in the table, not a failure.
Usage: scale_report.py RESULTS_TSV SMALL LARGE CORES DURATION OUT_JSON"""

import json
import sys

tsv, out = sys.argv[1], sys.argv[6]
small, large, cores, duration = (int(a) for a in sys.argv[2:6])
TARGET = 1.2
ENDPOINTS = {
    "profile": "profile, cache hit (16)",
    "profile_miss": "profile, cache miss (2)",
    "login": "login (8)",
    "admin_first": "admin list, first page (8)",
    "admin_deep": "admin list, deep page (8)",
    "admin_prefix": "admin list, prefix (8)",
}

passes = {}
for line in open(tsv):
    name, key, value = line.rstrip("\n").split("\t", 2)
    passes.setdefault(name, {})[key] = json.loads(value)
seed = passes.pop("seed")
before, after = passes[str(small)], passes[str(large)]

for users, s in seed.items():
    s["users_per_s"] = s["users"] / s["seconds"] if s["seconds"] else 0.0
    print(f"seeding to {int(users):,} accounts: {s['users']:,} inserted in {s['seconds']:.1f} s "
          f"= {s['users_per_s']:,.0f} accounts/s (then vacuum, analyze, checkpoint {s['vacuum_seconds']:.1f} s)")
for key, label in [("plan_login", "login's lookup by email"), ("plan_profile", "profile's lookup by id")]:
    print(f"{label}: {before[key]} ({small:,}) / {after[key]} ({large:,})")
for key, label in [("plan_admin_first", "admin list, first page"), ("plan_admin_deep", "admin list, deep page"),
                   ("plan_admin_prefix", "admin list, prefix")]:
    print(f"{label}:\n  {small:,}: {before[key]}\n  {large:,}: {after[key]}")
print(f"cache misses: {before['profile_miss']['requests']} and {after['profile_miss']['requests']} "
      "requests, each for an account read once (its req/s is not a throughput: wrk waits out the duration)")

print(f"\n{'':<26}{f'{small:,} accounts':^28}{f'{large:,} accounts':^28}  ratio (target <= {TARGET})")
print(f"{'endpoint (connections)':<26}" + f"{'p50 ms':>9}{'p99 ms':>9}{'req/s':>10}" * 2 + f"{'p50':>8}{'':6}{'p99':>8}")
ratios, failures = {}, []
for key, label in ENDPOINTS.items():
    a, b = before[key], after[key]
    r = {q: b[f"{q}_ms"] / a[f"{q}_ms"] for q in ("p50", "p99")}
    r.update({f"{q}_verdict": "PASS" if r[q] <= TARGET else "MISS" for q in ("p50", "p99")})
    ratios[key] = r
    rps = [f"{m['rps']:>10.0f}" if key != "profile_miss" else f"{'-':>10}" for m in (a, b)]
    print(f"{label:<26}{a['p50_ms']:>9.2f}{a['p99_ms']:>9.2f}{rps[0]}{b['p50_ms']:>9.2f}{b['p99_ms']:>9.2f}{rps[1]}"
          f"{r['p50']:>8.2f} {r['p50_verdict']:<5}{r['p99']:>8.2f} {r['p99_verdict']}")
    for users, m in ((small, a), (large, b)):
        if m["non_2xx"] or m["socket_errors"]:
            failures.append(f"{label} with {users:,} accounts: {m['non_2xx']} answers not 2xx, "
                            f"{m['socket_errors']} socket errors")

json.dump({"users": {"small": small, "large": large}, "cores": cores, "duration_s": duration,
           "target_ratio": TARGET, "seed": seed, "passes": passes, "ratios": ratios},
          open(out, "w"), indent=2)
print(f"\nwritten to {out}")
for failure in failures:
    print(f"FAILED: {failure}", file=sys.stderr)
sys.exit(1 if failures else 0)
