#!/usr/bin/env bash
# `make bench-scale`: do the profile, login and the admin list of users stay as fast with a
# million accounts as with a thousand? Runs the release binary on PostgreSQL + Redis (a fresh
# `postern_scale` database, a unique REDIS_KEY_PREFIX), seeds 1,000 accounts, measures with wrk
# the profile (cache hit and cache miss), login, and the admin list (its first page, a page 90 %
# of the way down, an email-prefix filter), bulk-seeds to SCALE_USERS accounts and measures
# again, then prints each p50 and p99 ratio (SCALE_USERS ÷ 1,000) against the target of at most
# 1.2 (within 20 %). The query plans of the lookups and of the list are recorded beside them.
# The verdicts are reported, not asserted, because a shared machine is noisy: the exit status is
# non-zero only when something breaks (the server, the seeding, an answer that is not 2xx).
# Results also go to bench/results/scale-<timestamp>.json.
#
# Knobs: BENCH_DURATION (seconds per measurement, default 10), SCALE_USERS (default 1000000),
# BENCH_BIN (a release build of postern, to skip the build),
# PG_URL (default postgres://postgres@127.0.0.1:5432), REDIS_URL (default redis://127.0.0.1:6379).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
duration=${BENCH_DURATION:-10}
small=1000
large=${SCALE_USERS:-1000000}
pg_url=${PG_URL:-postgres://postgres@127.0.0.1:5432}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379}
db=postern_scale
cores=$(nproc)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

need wrk wrk
need python3 python3
need curl curl
need psql postgresql-client
# The cache misses at scale read accounts that only the second seeding adds, one per account
# of the first.
[[ $large =~ ^[0-9]+$ ]] && [ "$large" -ge $((2 * small)) ] \
  || { say "SCALE_USERS must be a whole number of at least $((2 * small))"; exit 1; }

work=$(mktemp -d)
server_pid=
db_created=
cleanup() {
  for pid in $server_pid; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  if [ -n "$db_created" ]; then
    psql "$pg_url/postgres" -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${BENCH_BIN:-}" ]; then
  cp "$BENCH_BIN" "$work/postern" # an already built release binary
else
  say "building the release binary"
  cargo build -q --release -p postern
  cp "$target_dir/release/postern" "$work/postern" # the target directory may be shared
fi

results=$work/results.tsv
sql() { psql "$pg_url/$db" -v ON_ERROR_STOP=1 -Atqc "$1"; }
since() { awk -v start="$1" -v now="$(date +%s.%N)" 'BEGIN { printf "%.3f", now - start }'; }
plan() { sql "explain (costs off) $1" | sed -n 1p | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().strip()))'; }
# plan_all SQL: the whole plan, its lines joined by " / ", as a JSON string.
plan_all() { sql "explain (costs off) $1" | python3 -c 'import json,sys; print(json.dumps(" / ".join(l.strip() for l in sys.stdin if l.strip())))'; }

email=bench@scale.test
password='bench password 123'

# seed FIRST LAST: the accounts seed-FIRST@scale.test to seed-LAST@scale.test in one statement,
# copies of the benchmark account under new ids and emails, each a second older than the one
# before (so that the admin list has an order to page through), with the role `user`. Its hash
# is a genuine one, so every seeded account logs in with its password. The seeding brings the
# table to $pass accounts.
seed() {
  local first=$1 last=$2 start seconds vacuum_seconds count
  start=$(date +%s.%N)
  sql "insert into users (id, email, name, role, email_verified, password_hash, created_at,
         updated_at, disabled_at)
       select gen_random_uuid(), 'seed-' || n || '@scale.test', u.name, 'user', u.email_verified,
         u.password_hash, u.created_at - make_interval(secs => n), u.updated_at, u.disabled_at
       from users as u, generate_series($first, $last) as n
       where u.email = '$email'"
  seconds=$(since "$start")
  # The fresh rows' statistics and hint bits, and the seeding's dirty pages, are dealt with now
  # rather than during the measurements (where autovacuum is off, nothing else would do it).
  start=$(date +%s.%N)
  sql 'vacuum (analyze) users'
  sql checkpoint || say "no checkpoint (it needs a superuser or pg_checkpoint)"
  vacuum_seconds=$(since "$start")
  count=$(sql 'select count(*) from users')
  [ "$count" = "$pass" ] || { say "the seeding left $count accounts, not $pass"; exit 1; }
  record seed "$pass" "{\"users\": $((last - first + 1)), \"seconds\": $seconds, \"vacuum_seconds\": $vacuum_seconds}"
  say "seeded $((last - first + 1)) accounts in $seconds s (vacuum, analyze and checkpoint $vacuum_seconds s)"
}

# measure EMAILS: the profile as a cache hit (the benchmark account's, warm since its login), as
# a cache miss (one access token per account in the file EMAILS, each profile read only once),
# and login (the benchmark account), each recorded under the current pass.
measure() {
  local emails=$1 first id threads=$((cores < 2 ? cores : 2))
  first=$(sed -n 1p "$emails")
  id=$(sql "select id from users where email = '$first'")
  # Whether the lookups use their indexes, to read the ratios with.
  record "$pass" plan_login "$(plan "select * from users where email = '$first'")"
  record "$pass" plan_profile "$(plan "select * from users where id = '$id'")"
  python3 "$root/bench/access_tokens.py" "$base" "$password" 8 <"$emails" >"$work/tokens-$pass"
  path=/api/v1/user/profile bench profile 16 get.lua "$access"
  # One connection per thread, so that every token sent is also counted (see the script).
  path=/api/v1/user/profile bench profile_miss "$threads" profile_miss.lua "$work/tokens-$pass" "$threads"
  bench login 8 login.lua "$email" "$password"
  measure_admin_list
}

# measure_admin_list: GET /api/v1/admin/users as the benchmark account (an admin): the first
# page, the page after the account 90 % of the way down the list (created_at DESC, id DESC),
# and the accounts whose email starts with that of the one in the middle (one account), each
# with its plan, from the same SQL as the adapter's with the values written in.
measure_admin_list() {
  local deep at id nanos cursor prefix until list=/api/v1/admin/users?limit=20
  deep=$(sql "select created_at || '|' || id from users
              order by created_at desc, id desc offset $((pass * 9 / 10)) limit 1")
  at=${deep%%|*} id=${deep##*|}
  nanos=$(sql "select (extract(epoch from timestamptz '$at') * 1000000)::bigint * 1000")
  cursor=$(printf '%s.%s' "$nanos" "${id//-/}" | basenc --base64url | tr -d '=\n')
  prefix=seed-$((pass / 2))@ until=seed-$((pass / 2))A
  local order="order by created_at desc, id desc limit 21"
  record "$pass" plan_admin_first "$(plan_all "select * from users $order")"
  record "$pass" plan_admin_deep "$(plan_all "select * from users where created_at <= '$at'
    and (created_at < '$at' or id < '$id') $order")"
  record "$pass" plan_admin_prefix "$(plan_all "select * from users where email collate \"C\" >= '$prefix'
    and email collate \"C\" < '$until' $order")"
  path=$list bench admin_first 8 get.lua "$access"
  path="$list&cursor=$cursor" bench admin_deep 8 get.lua "$access"
  path="$list&email=${prefix%@}%40" bench admin_prefix 8 get.lua "$access"
}

PGOPTIONS='--client-min-messages=warning' psql "$pg_url/postgres" -qc "drop database if exists $db with (force)" >/dev/null
psql "$pg_url/postgres" -qc "create database $db" >/dev/null
db_created=1
port=$(free_port)
base=http://127.0.0.1:$port
bench_env "$port"
export POSTERN_DATA_DIR=$work/data DATABASE_URL=$pg_url/$db REDIS_URL=$redis_url
export REDIS_KEY_PREFIX=postern-scale-$stamp-$$:
pass=$small
# No stream workers: relaying the logins' events would take cores from what is measured, and
# the outbox is not what grows here.
start_server

post /api/v1/auth/signup "{\"email\": \"$email\", \"password\": \"$password\"}" >/dev/null
sql "update users set role = 'admin' where email = '$email'" # before login, so its token says so
access=$(post /api/v1/auth/login "{\"email\": \"$email\", \"password\": \"$password\"}" | field accessToken)
curl -fs "$base/api/v1/user/profile" -H "authorization: Bearer $access" >/dev/null # warms the cache

seed 1 $((small - 1))
seq 1 $((small - 1)) | sed 's/.*/seed-&@scale.test/' >"$work/emails-$pass"
measure "$work/emails-$pass"

pass=$large
seed "$small" $((large - 1))
# As many accounts as before, spread evenly over the ones the second seeding added.
seq 0 $((small - 2)) | awk -v first="$small" -v step=$(((large - small) / (small - 1))) \
  '{ printf "seed-%d@scale.test\n", first + $1 * step }' >"$work/emails-$pass"
measure "$work/emails-$pass"

kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
server_pid=

mkdir -p "$root/bench/results"
status=0
python3 "$root/bench/scale_report.py" "$results" "$small" "$large" "$cores" "$duration" \
  "$root/bench/results/scale-$stamp.json" || status=$?

# The admin list on the embedded default's SQLite: the same two sizes, the query alone.
say "the admin list on SQLite"
DATABASE_URL="sqlite://$work/list.db?mode=rwc" "$work/postern" migrate >/dev/null
python3 "$root/bench/sqlite_list.py" "$work/list.db" "$small" "$large" 500 \
  "$root/bench/results/scale-$stamp-sqlite.json"
exit "$status"
