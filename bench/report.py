"""Turns bench/run.sh's measurements into the printed table and the JSON results file.
Usage: report.py RESULTS_TSV HASH_MS CORES OUT_JSON"""

import json
import sys

tsv, hash_ms, cores, out = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
passes = {}
for line in open(tsv):
    name, key, value = line.rstrip("\n").split("\t", 2)
    passes.setdefault(name, {})[key] = json.loads(value)

ceiling = cores / (hash_ms / 1000)
print(f"\nhash: median Argon2id {hash_ms:.1f} ms; ceiling = {cores} cores / hash = {ceiling:.1f} hashes/s\n")
for name, m in passes.items():
    print(f"== {name} ==")
    print(f"{'endpoint':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>9}{'errors':>8}")
    for key in ["health", "profile", "refresh", "login", "signup", "profile_idle", "profile_storm"]:
        r = m.get(key)
        if r:
            print(f"{key:<28}{r['rps']:>10.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}{r['non_2xx']:>9}{r['socket_errors']:>8}")
    p = m["pipeline"]
    events_per_s = p["events"] / p["seconds"] if p["seconds"] else 0.0
    ratios = {
        "profile / health (target >= 0.6)": m["profile"]["rps"] / m["health"]["rps"],
        "login / hash ceiling (target >= 0.9)": m["login"]["rps"] / ceiling,
        "signup / hash ceiling (target >= 0.9)": m["signup"]["rps"] / ceiling,
        "profile p99 storm / idle (target <= 5)": m["profile_storm"]["p99_ms"] / m["profile_idle"]["p99_ms"],
    }
    for key in ["verify_redis", "verify_introspection_cached", "verify_introspection_uncached"]:
        if key in m:
            print(f"postern-verify {key[len('verify_'):]:<24}{m[key]['us_per_request']:>9.1f} µs per request")
    print(f"RSS idle {m['rss_idle_kib'] / 1024:.1f} MiB (target <= 25), peak {m['rss_peak_kib'] / 1024:.1f} MiB")
    print(f"pipeline: {p['events']} events outbox -> audit_log in {p['seconds']:.2f} s = {events_per_s:.0f} events/s (target >= 20000)")
    if "second_step" in m:
        s = m["second_step"]
        print(f"login p50 without a second step {s['password_only']['p50_ms']:.2f} ms, with a TOTP step "
              f"{s['first_step']['p50_ms']:.2f} + {s['second_step']['p50_ms']:.2f} ms "
              f"(added {s['added_p50_ms']:.2f} ms over {s['logins']} logins)")
    for label, value in ratios.items():
        print(f"{label:<42}{value:>8.2f}")
    print()
    m["ratios"] = ratios
    m["pipeline"]["events_per_s"] = events_per_s
json.dump({"hash_ms": hash_ms, "cores": cores, "hash_ceiling_per_s": ceiling, "passes": passes},
          open(out, "w"), indent=2)
print(f"written to {out}")
