#!/usr/bin/env bash
# `make resilience`: failure drills against the release binary, each with a verdict.
#   1. Redis stopped for 10 s during mixed load: no 5xx but /ready's 503; no event lost.
#   2. PostgreSQL restarted during load: 503 `unavailable`, never 500; then success again
#      without restarting Postern.
#   3. The audit worker killed with SIGKILL 5 times during 5,000 events: each event exactly
#      once in audit_log.
#   4. SIGTERM to the server under load: every request in flight gets its answer.
# The drills never touch the machine's shared services: they run a private redis-server and a
# private PostgreSQL cluster (initdb as the postgres user) on free ports, removed at the end.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
say_as=resilience
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pg_bin/initdb" ] || { say "PostgreSQL server binaries are missing: apt-get install -y postgresql"; exit 1; }
command -v redis-server >/dev/null || { say "redis-server is missing: apt-get install -y redis-server"; exit 1; }

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "${redis_port:-}" ] && redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  [ -d "$work/pg" ] && runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() { for _ in $(seq 1 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

if [ -n "${BENCH_BIN:-}" ]; then
  cp "$BENCH_BIN" "$work/postern" # an already built release binary
else
  say "building the release binary"
  cargo build -q --release -p postern
  cp "$target_dir/release/postern" "$work/postern" # the target directory may be shared
fi

redis_port=$(free_port)
redis_start() { redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --dir "$work" >/dev/null; }
redis_start
wait_for redis-cli -p "$redis_port" ping

pg_port=$(free_port)
mkdir -p "$work/pg" "$work/pg-run"
chown postgres "$work/pg" "$work/pg-run"
runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 >/dev/null
pg_ctl() { runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -o "-p $pg_port -k $work/pg-run -c listen_addresses=127.0.0.1" -l "$work/pg-run/pg.log" "$@"; }
pg_ctl -w start >/dev/null
psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc 'create database postern' >/dev/null
psql_db() { psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postern -Atc "$1"; }

port=$(free_port)
base=http://127.0.0.1:$port
export HOST=127.0.0.1 PORT=$port POSTERN_DATA_DIR=$work/data RUST_LOG=warn LOG_FORMAT=json
export DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/postern
export REDIS_URL=redis://127.0.0.1:$redis_port REDIS_KEY_PREFIX=resilience:
export JWT_SECRET=resilience-secret-resilience-secret-0123456789
export RATE_LIMIT_LOGIN=off RATE_LIMIT_REFRESH=off RATE_LIMIT_SIGNUP=off RATE_LIMIT_GLOBAL=off
export ARGON2_MEMORY_KIB=4096 ARGON2_ITERATIONS=1
mkdir -p "$work/data"

server_pid=
start_server() {
  "$work/postern" serve "$@" >>"$work/server.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  wait_for curl -fs "$base/health" || { tail -20 "$work/server.log" >&2; exit 1; }
}
worker_pid=
start_worker() {
  "$work/postern" worker audit >>"$work/worker.log" 2>&1 &
  worker_pid=$!
  pids+=("$worker_pid")
}
load() { python3 "$root/bench/load.py" "$base" "$access" "$1" "$work/$2.json" 4; }
verdicts=()
verdict() { verdicts+=("$1: $2"); say "$1: $2"; }
outbox_done() { [ "$(psql_db 'select count(*) from outbox where published_at is null')" = 0 ]; }
events_lost() { psql_db 'select count(*) from outbox o where not exists (select 1 from audit_log a where a.id = o.id)'; }
wait_drained() { for _ in $(seq 1 600); do [ "$(events_lost)" = 0 ] && return 0; sleep 0.1; done; return 1; }

start_server --with-workers
post /api/v1/auth/signup '{"email": "load@resilience.test", "password": "resilience password"}' >/dev/null
access=$(post /api/v1/auth/login '{"email": "load@resilience.test", "password": "resilience password"}' | field accessToken)

say "drill 1: Redis down for 10 s during mixed load"
load 20 redis &
load_pid=$!
sleep 3
redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
sleep 10
redis_start
wait_for redis-cli -p "$redis_port" ping
wait "$load_pid" || true
bad=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sum(n for k, n in r["server_errors"].items() if not k.startswith("GET /ready 503")))' "$work/redis.json")
wait_drained || true
lost=$(events_lost)
say "  $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(dict(r["server_errors"]), "refused", r["refused"], "broken", r["broken"])' "$work/redis.json")"
[ "$bad" = 0 ] && verdict "redis outage: 5xx other than /ready 503" "PASS (0)" || verdict "redis outage: 5xx other than /ready 503" "FAIL ($bad)"
[ "$lost" = 0 ] && verdict "redis outage: events lost (outbox rows missing from audit_log)" "PASS (0)" || verdict "redis outage: events lost" "FAIL ($lost)"

say "drill 2: PostgreSQL restarted during load"
load 15 pg &
load_pid=$!
sleep 3
pg_ctl -m fast -w restart >/dev/null
wait "$load_pid" || true
r500=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sum(n for k, n in r["server_errors"].items() if " 500 " in k))' "$work/pg.json")
r503=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sum(n for k, n in r["server_errors"].items() if " 503 " in k and not k.startswith("GET /ready")))' "$work/pg.json")
say "  $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(dict(r["server_errors"]))' "$work/pg.json")"
after=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/user/profile" -H "authorization: Bearer $access")
[ "$r500" = 0 ] && verdict "postgres restart: 500s" "PASS (0; $r503 answers were 503)" || verdict "postgres restart: 500s" "FAIL ($r500)"
[ "$after" = 200 ] && verdict "postgres restart: served again without restarting Postern" "PASS" || verdict "postgres restart: served again" "FAIL (profile answered $after)"

say "drill 3: the audit worker killed with SIGKILL 5 times during 5,000 events"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
start_server
start_worker
user_id=$(curl -fs "$base/api/v1/user/profile" -H "authorization: Bearer $access" | field id)
psql_db "insert into outbox (id, event_type, payload, occurred_at, attempts, next_attempt_at)
  select id, 'user.logged_in', jsonb_build_object('id', id, 'type', 'user.logged_in',
      'data', jsonb_build_object('sessionId', gen_random_uuid(), 'ip', null, 'userAgent', null),
      'version', 1, 'userId', '$user_id',
      'occurredAt', to_char(now() at time zone 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')),
    now(), 0, now()
  from (select gen_random_uuid() as id from generate_series(1, 5000)) as ids" >/dev/null
for _ in 1 2 3 4 5; do
  sleep 0.3
  kill -KILL "$worker_pid" 2>/dev/null || true
  wait "$worker_pid" 2>/dev/null || true
  start_worker
done
wait_drained || true
lost=$(events_lost)
dupes=$(psql_db 'select count(*) - count(distinct id) from audit_log')
[ "$lost" = 0 ] && [ "$dupes" = 0 ] && verdict "worker SIGKILL x5: every event exactly once" "PASS" \
  || verdict "worker SIGKILL x5: every event exactly once" "FAIL ($lost missing, $dupes duplicated)"

say "drill 4: SIGTERM to the server under load"
load 8 sigterm &
load_pid=$!
sleep 3
kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null || true
touch "$work/STOP"
wait "$load_pid" || true
broken=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["broken"])' "$work/sigterm.json")
[ "$broken" = 0 ] && verdict "SIGTERM under load: requests in flight that lost their answer" "PASS (0)" \
  || verdict "SIGTERM under load: requests in flight that lost their answer" "FAIL ($broken)"

printf '\n== resilience verdicts ==\n'
printf '%s\n' "${verdicts[@]}"
printf '%s\n' "${verdicts[@]}" | grep -q FAIL && exit 1 || exit 0
