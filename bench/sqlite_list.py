"""The admin list of users on the embedded default's SQLite, for bench/scale.sh: seeds a migrated
database to SMALL accounts and times the list's three queries (first page, a page 90 % of the way
down, an email prefix matching one account) as the adapter issues them, with their query plans,
then seeds to LARGE and does it again. Rows are in the form the server writes them (16-byte
blob ids, RFC 3339 text timestamps, each account a second older than the one before); times
are of the query alone, in process, so they leave out HTTP and the server.
Usage: sqlite_list.py DB SMALL LARGE RUNS OUT_JSON"""

import datetime
import json
import sqlite3
import statistics
import sys
import time
import uuid

db, small, large, runs, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
BASE = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
ORDER = 'ORDER BY julianday("users"."created_at") DESC, "users"."id" DESC LIMIT 21'
QUERIES = {
    "first": f'SELECT * FROM "users" {ORDER}',
    "deep": 'SELECT * FROM "users" WHERE julianday("users"."created_at") <= julianday(?) AND '
            f'(julianday("users"."created_at") < julianday(?) OR "users"."id" < ?) {ORDER}',
    "prefix": f'SELECT * FROM "users" WHERE "email" >= ? AND "email" < ? {ORDER}',
}


def stamp(at):
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def seed(connection, first, last):
    started = time.monotonic()
    rows = ((uuid.uuid4().bytes, f"seed-{n}@scale.test", "$argon2id$v=19$m=19456,t=2,p=1$seed$seed",
             stamp(BASE - datetime.timedelta(seconds=n)), stamp(BASE)) for n in range(first, last + 1))
    with connection:
        connection.executemany(
            "insert into users (id, email, role, email_verified, password_hash, created_at, updated_at)"
            " values (?, ?, 'user', 1, ?, ?, ?)", rows)
        connection.execute("analyze")
    return time.monotonic() - started


def measure(connection, users):
    at, key = connection.execute(
        f'SELECT created_at, id FROM "users" {ORDER.replace("LIMIT 21", "")} LIMIT 1 OFFSET ?',
        (users * 9 // 10,)).fetchone()
    middle = f"seed-{users // 2}@"
    params = {"first": (), "deep": (at, at, key), "prefix": (middle, middle[:-1] + "A")}
    figures = {}
    for name, sql in QUERIES.items():
        plan = " / ".join(row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + sql, params[name]))
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            rows = connection.execute(sql, params[name]).fetchall()
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        figures[name] = {"rows": len(rows), "plan": plan, "p50_ms": statistics.median(times),
                         "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))]}
    return figures


connection = sqlite3.connect(db)
results = {"seed_seconds": {}, "passes": {}}
results["seed_seconds"][small] = seed(connection, 1, small)
results["passes"][small] = measure(connection, small)
results["seed_seconds"][large] = seed(connection, small + 1, large)
results["passes"][large] = measure(connection, large)
connection.close()

print(f"\nSQLite admin list, the query alone ({runs} runs each; seeding {large:,} took "
      f"{sum(results['seed_seconds'].values()):.1f} s)")
print(f"{'query':<8}{f'{small:,}: p50 / p99 ms':>24}{f'{large:,}: p50 / p99 ms':>28}  ratio p50, p99")
for name in QUERIES:
    a, b = results["passes"][small][name], results["passes"][large][name]
    print(f"{name:<8}{a['p50_ms']:>14.3f} / {a['p99_ms']:<7.3f}{b['p50_ms']:>18.3f} / {b['p99_ms']:<7.3f}"
          f"  {b['p50_ms'] / a['p50_ms']:.2f}, {b['p99_ms'] / a['p99_ms']:.2f}")
    print(f"  plan at {large:,}: {b['plan']}")
json.dump(results, open(out, "w"), indent=2)
