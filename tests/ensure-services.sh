#!/usr/bin/env bash
# Makes sure the services the test suite talks to are up: PostgreSQL (with a `test` database)
# and Redis. Starts them when installed but stopped; says how to install them when missing.
# Set TEST_DATABASE_URL to use a PostgreSQL elsewhere (then it is only checked, not started).
set -uo pipefail

fail() { printf 'ensure-services: %s\n' "$*" >&2; exit 1; }
wait_for() { for _ in $(seq 1 30); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done; return 1; }

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q; }
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  psql "$TEST_DATABASE_URL" -Atc 'select 1' >/dev/null 2>&1 \
    || fail "TEST_DATABASE_URL is set but PostgreSQL does not answer there."
else
  command -v pg_isready >/dev/null 2>&1 || fail "PostgreSQL is not installed. Install it with
  apt-get install -y postgresql   (Debian/Ubuntu), then run make test again,
or point TEST_DATABASE_URL at a PostgreSQL you can create schemas in."
  if ! pg_up; then
    cluster=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$cluster" ] || fail "PostgreSQL is installed but has no cluster under /etc/postgresql."
    echo "ensure-services: starting PostgreSQL $cluster"
    pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || fail "could not start PostgreSQL."
    wait_for pg_up || fail "PostgreSQL did not come up within 30 s."
  fi
  if ! psql -h 127.0.0.1 -U postgres -Atc "select 1 from pg_database where datname = 'test'" | grep -q 1; then
    psql -h 127.0.0.1 -U postgres -c 'create database test' >/dev/null || fail "could not create the test database."
  fi
fi

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG; }
if command -v redis-server >/dev/null 2>&1; then
  if ! redis_up; then
    echo "ensure-services: starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      || fail "could not start Redis."
    wait_for redis_up || fail "Redis did not come up within 30 s."
  fi
else
  fail "Redis is not installed. Install it with
  apt-get install -y redis-server   (Debian/Ubuntu), then run make test again."
fi
echo "ensure-services: PostgreSQL and Redis are up"
