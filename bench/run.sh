#!/usr/bin/env bash
# `make bench`: builds the release binary, runs it twice — on PostgreSQL + Redis (a fresh
# `postern_bench` database, a unique REDIS_KEY_PREFIX, stream workers in the server) and on the
# embedded default (SQLite, in-process adapters) — drives it with wrk, and prints req/s, p50 and
# p99 per endpoint, RSS, the outbox → audit_log event rate and the ratios against the targets;
# on PostgreSQL + Redis also postern-verify's latency per request for each revocation strategy.
# Results also go to bench/results/<timestamp>.json.
#
# Knobs: BENCH_DURATION (seconds per measurement, default 10), BENCH_PASSES ("pg embedded"),
# BENCH_BIN and BENCH_HASH_TIME_BIN (release builds of postern and the hash_time example, to skip
# the build),
# PG_URL (default postgres://postgres@127.0.0.1:5432), REDIS_URL (default redis://127.0.0.1:6379).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
duration=${BENCH_DURATION:-10}
passes=${BENCH_PASSES:-pg embedded}
pg_url=${PG_URL:-postgres://postgres@127.0.0.1:5432}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379}
cores=$(nproc)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

need wrk wrk
need python3 python3
need curl curl
need sqlite3 sqlite3

work=$(mktemp -d)
server_pid=
storm_pid=
db_created=
cleanup() {
  for pid in $storm_pid $server_pid; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  if [ -n "$db_created" ]; then
    psql "$pg_url/postgres" -qc 'drop database if exists postern_bench with (force)' >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${BENCH_BIN:-}" ] && [ -n "${BENCH_HASH_TIME_BIN:-}" ]; then
  cp "$BENCH_BIN" "$work/postern" # already built release binaries
  cp "$BENCH_HASH_TIME_BIN" "$work/hash_time"
else
  say "building the release binaries"
  cargo build -q --release -p postern
  cp "$target_dir/release/postern" "$work/postern" # the target directory may be shared
  cargo build -q --release -p postern-password --example hash_time
  cp "$target_dir/release/examples/hash_time" "$work/hash_time"
fi

# Built now, so that its compilation does not fall within a pass.
cargo bench -q -p postern-verify --all-features --bench verify --no-run 2>/dev/null

hash_ms=$("$work/hash_time" 31)
say "median Argon2id hash: $hash_ms ms on $cores cores"

results=$work/results.tsv
rss_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

audit_count() {
  if [ "$pass" = pg ]; then psql "$pg_url/postern_bench" -Atc 'select count(*) from audit_log'
  else sqlite3 "$work/data-$pass/postern.db" 'select count(*) from audit_log'; fi
}

# 10,000 user.logged_in events committed to the outbox in one transaction, then the time until
# the audit log holds them all.
pipeline() {
  local user_id=$1 before after start elapsed
  for _ in $(seq 1 100); do # let the setup's own events drain first
    before=$(audit_count); sleep 0.2; [ "$before" = "$(audit_count)" ] && break
  done
  if [ "$pass" = pg ]; then
    psql "$pg_url/postern_bench" -qc "
      insert into outbox (id, event_type, payload, occurred_at, attempts, next_attempt_at)
      select id, 'user.logged_in', jsonb_build_object('id', id, 'type', 'user.logged_in',
          'data', jsonb_build_object('sessionId', gen_random_uuid(), 'ip', null, 'userAgent', null),
          'version', 1, 'userId', '$user_id',
          'occurredAt', to_char(now() at time zone 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')),
        now(), 0, now()
      from (select gen_random_uuid() as id from generate_series(1, 10000)) as ids" >/dev/null
  else
    python3 "$root/bench/sqlite_events.py" "$work/data-$pass/postern.db" "$user_id" 10000
  fi
  start=$(date +%s.%N)
  for _ in $(seq 1 1200); do
    after=$(audit_count)
    [ "$after" -ge $((before + 10000)) ] && break
    sleep 0.05
  done
  elapsed=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$start" "$(date +%s.%N)")
  record "$pass" pipeline "{\"events\": $((after - before)), \"seconds\": $elapsed}"
  say "$pass pipeline: $((after - before)) events in $elapsed s"
}

# postern-verify's Criterion bench (clients/verify/benches/verify.rs) against this server and its
# Redis, one median per strategy, recorded as verify_<strategy> in microseconds per request.
verify_bench() {
  local out
  out=$(VERIFY_BENCH_POSTERN_URL=$base VERIFY_BENCH_TOKEN=$1 VERIFY_BENCH_JWT_SECRET=$JWT_SECRET \
    VERIFY_BENCH_CLIENT=$INTROSPECTION_CLIENTS \
    cargo bench -q -p postern-verify --all-features --bench verify 2>/dev/null) ||
    { say "postern-verify bench failed; rerun it by hand with the variables above"; return 0; }
  while read -r name us; do
    record "$pass" "verify_$name" "{\"us_per_request\": $us}"
    say "$pass postern-verify $name: $us µs per request"
  done < <(python3 "$root/bench/criterion_medians.py" <<<"$out")
}

# Logins of accounts with a TOTP factor, both steps, one at a time (bench/second_step.py).
second_step() {
  local out
  out=$(python3 "$root/bench/second_step.py" "$base" 100)
  record "$pass" second_step "$out"
  say "$pass second step: $out"
}

run_pass() {
  pass=$1
  local port
  port=$(free_port)
  base=http://127.0.0.1:$port
  mkdir -p "$work/data-$pass"
  bench_env "$port"
  export POSTERN_DATA_DIR=$work/data-$pass
  if [ "$pass" = pg ]; then
    PGOPTIONS='--client-min-messages=warning' psql "$pg_url/postgres" -qc 'drop database if exists postern_bench with (force)' >/dev/null
    psql "$pg_url/postgres" -qc 'create database postern_bench' >/dev/null
    db_created=1
    export DATABASE_URL=$pg_url/postern_bench REDIS_URL=$redis_url REDIS_KEY_PREFIX=postern-bench-$stamp-$$:
    start_server --with-workers
  else
    unset DATABASE_URL REDIS_URL REDIS_KEY_PREFIX
    start_server
  fi
  sleep 1
  record "$pass" rss_idle_kib "$(rss_kib "$server_pid" VmRSS)"

  local email=bench@bench.test password='bench password 123' user_id access
  user_id=$(post /api/v1/auth/signup "{\"email\": \"$email\", \"password\": \"$password\"}" | field id)
  access=$(post /api/v1/auth/login "{\"email\": \"$email\", \"password\": \"$password\"}" | field accessToken)
  curl -fs "$base/api/v1/user/profile" -H "authorization: Bearer $access" >/dev/null # warms the cache
  : >"$work/refresh-tokens"
  for _ in $(seq 1 32); do
    post /api/v1/auth/login "{\"email\": \"$email\", \"password\": \"$password\"}" | field refreshToken >>"$work/refresh-tokens"
  done

  path=/health bench health 16 get.lua ""
  path=/api/v1/user/profile bench profile 16 get.lua "$access"
  bench refresh 16 refresh.lua "$work/refresh-tokens" "$cores"
  bench login 8 login.lua "$email" "$password"
  bench signup 8 signup.lua "$pass$stamp"
  # The profile's tail latency alone, then while logins saturate the hashing threads.
  path=/api/v1/user/profile bench profile_idle 2 get.lua "$access"
  (duration=$((duration + 2)) bench login_storm 8 login.lua "$email" "$password") &
  storm_pid=$!
  sleep 1
  path=/api/v1/user/profile bench profile_storm 2 get.lua "$access"
  wait "$storm_pid" || true
  storm_pid=
  pipeline "$user_id"
  second_step
  [ "$pass" = pg ] && verify_bench "$access"
  record "$pass" rss_peak_kib "$(rss_kib "$server_pid" VmHWM)"

  kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  server_pid=
}

for p in $passes; do run_pass "$p"; done

mkdir -p "$root/bench/results"
python3 "$root/bench/report.py" "$results" "$hash_ms" "$cores" "$root/bench/results/$stamp.json"
