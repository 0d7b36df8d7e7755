#!/usr/bin/env bash
# Fuzzes every operation of openapi/openapi.json with Schemathesis against a real `postern serve`
# (embedded SQLite default in a temporary data dir), each with a token that can reach it, and
# fails on any server error, response that does not match the documented schema, undocumented
# status code or undocumented content type, and on an operation that never got past
# authentication (tests/fuzz/schemathesis.toml). Ends with one summary line per run.
#
# Usage: tests/fuzz/schemathesis.sh [path/to/postern]   (default: $CARGO_TARGET_DIR or ./target,
# debug build). SCHEMATHESIS_MAX_EXAMPLES (default 25) bounds the run.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
root=$(cd "$(dirname "$0")/../.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
bin=${1:-$target_dir/debug/postern}
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-25}
venv=$target_dir/venv/schemathesis-$SCHEMATHESIS_VERSION

say() { printf 'schemathesis: %s\n' "$*" >&2; }
command -v python3 >/dev/null 2>&1 || {
  say "python3 is missing: install it (apt-get install -y python3 python3-venv) to run the API fuzzing."
  exit 1
}
command -v curl >/dev/null 2>&1 || { say "curl is missing (apt-get install -y curl)."; exit 1; }
[ -x "$bin" ] || { say "no postern binary at $bin: run cargo build -p postern first."; exit 1; }

# A virtual environment holds its own path: one whose target directory was moved no longer
# runs, and is made again.
if ! "$venv/bin/schemathesis" --version >/dev/null 2>&1; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into $venv (once)"
  rm -rf "$venv"
  python3 -m venv "$venv" || { say "python3 -m venv failed: apt-get install -y python3-venv"; exit 1; }
  "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port

# A configuration any deployment could use: embedded default, rate limits off so that the
# fuzzer's hundreds of logins are not throttled, cheap Argon2 so that the run stays short.
export POSTERN_DATA_DIR=$work/data HOST=127.0.0.1 PORT=$port
export RATE_LIMIT_LOGIN=off RATE_LIMIT_REFRESH=off RATE_LIMIT_SIGNUP=off
export RATE_LIMIT_PASSWORD_FORGOT=off RATE_LIMIT_PASSWORD_RESET_MAIL=off RATE_LIMIT_EMAIL_RESEND=off
export RATE_LIMIT_GLOBAL=off
export RATE_LIMIT_PASSWORD_CHANGE=off RATE_LIMIT_PASSWORD_CHANGE_GUESS=off
export RATE_LIMIT_OAUTH_CALLBACK=off RATE_LIMIT_OAUTH_EXCHANGE=off
export ARGON2_MEMORY_KIB=1024 ARGON2_ITERATIONS=1 ARGON2_PARALLELISM=1
export RUST_LOG=${RUST_LOG:-warn}
unset DATABASE_URL REDIS_URL JWT_SECRET JWT_PRIVATE_KEY_FILE || true
mkdir -p "$POSTERN_DATA_DIR"

"$bin" migrate >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log" >&2; exit 1; }
# The admin token lets the fuzzer reach the admin operations past their 403.
printf 'fuzzing admin password\n' | "$bin" user create-admin --email admin@fuzz.test \
  >"$work/admin.log" 2>&1 || { cat "$work/admin.log" >&2; exit 1; }

"$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fs "$base/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][sys.argv[1]])' "$1"; }
login() {
  curl -fs -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\": \"$1\", \"password\": \"$2\"}" | json_field accessToken
}
curl -fs -X POST "$base/api/v1/auth/signup" -H 'content-type: application/json' \
  -d '{"email": "user@fuzz.test", "password": "fuzzing user password", "name": "Fuzz"}' >/dev/null

runs=()
# run NAME TOKEN [schemathesis options...]: one Schemathesis run, its output kept for the
# summary. TOKEN "fresh" logs the user in anew for every test case (tests/fuzz/fresh_session.py).
run() {
  local name=$1 token=$2
  shift 2
  runs+=("$name")
  say "run '$name'"
  local auth=(--header "Authorization: Bearer $token") hooks=()
  if [ "$token" = fresh ]; then
    auth=()
    hooks=(PYTHONPATH="$root/tests/fuzz" SCHEMATHESIS_HOOKS=fresh_session
      POSTERN_FUZZ_BASE="$base" POSTERN_FUZZ_EMAIL=user@fuzz.test
      POSTERN_FUZZ_PASSWORD='fuzzing user password')
  fi
  # From the temporary directory: Schemathesis keeps a .schemathesis cache in its working one.
  if (cd "$work" && env "${hooks[@]}" "$venv/bin/schemathesis" \
      --config-file "$root/tests/fuzz/schemathesis.toml" \
      run "$root/openapi/openapi.json" --url "$base" "${auth[@]}" \
      --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
      --max-examples "$max_examples" --seed 1 --workers 2 --no-color "$@") \
      >"$work/run-$name.log" 2>&1; then
    echo ok >"$work/run-$name.result"
  else
    echo FAILED >"$work/run-$name.result"
    cat "$work/run-$name.log" >&2
  fi
}

# Each operation is fuzzed with a token that can reach it: the admin operations with an
# admin's, the others with a plain user's, and the four that end the session they are called
# with (logging out, logging out everywhere, changing the password, deleting one's own account)
# with a session of its own for every test case. Self-deletion is kept out of the user run so
# that, whatever the fuzzer sends, the user run's account and session stay alive.
admin_paths='^/api/v1/admin/'
session_enders='^/api/v1/(auth/(logout|logout-all|password/change)|user/account)$'
# The admin run comes last: it may disable or demote the fuzzing user (the users it finds in
# the list are fair game), which ends that user's sessions.
run user "$(login user@fuzz.test 'fuzzing user password')" \
  --exclude-path-regex "$admin_paths|$session_enders"
run session-enders fresh --include-path-regex "$session_enders"
run admin "$(login admin@fuzz.test 'fuzzing admin password')" --include-path-regex "$admin_paths"

status=0
total=0
printf '\nschemathesis summary (%s examples per operation, seed 1):\n' "$max_examples" >&2
for name in "${runs[@]}"; do
  result=$(cat "$work/run-$name.result")
  [ "$result" = ok ] || status=1
  # From Schemathesis's own summary: operations tested, and test cases generated and passed.
  tested=$(sed -n '/^API Operations:/,/^$/s/^ *Tested: *//p' "$work/run-$name.log")
  cases=$(sed -n '/^Test cases:/{n;s/^ *//p}' "$work/run-$name.log")
  tally="${tested:-?} operations tested, ${cases:-no test cases}"
  printf '  %-16s %-7s %s\n' "$name" "$result" "$tally" >&2
  # The run's other warnings, under its line: notes on the generated data, not failures
  # (an authentication warning fails the run, see schemathesis.toml).
  sed -n '/^Warnings:/,/^$/{/^ /p}' "$work/run-$name.log" | sed 's/^ *⚠️ */      note: /' >&2
  total=$((total + ${tested:-0}))
done
documented=$(python3 -c 'import json, sys
print(sum(len(item) for item in json.load(open(sys.argv[1]))["paths"].values()))' \
  "$root/openapi/openapi.json")
printf '  %s of the %s operations of the document fuzzed\n' "$total" "$documented" >&2
if [ "$total" -ne "$documented" ]; then
  say "the runs left out $((documented - total)) operation(s): give each a run and a token"
  status=1
fi
if grep -q 'panicked' "$work/server.log"; then
  say "the server panicked:"; grep -A5 panicked "$work/server.log" >&2; status=1
fi
if [ "$status" -eq 0 ]; then
  say "every operation fuzzed with a token that reaches it; no failures"
else
  say "FAILURES (the failing runs' output is above); the server log's last lines:"
  tail -n 30 "$work/server.log" >&2
fi
exit "$status"
