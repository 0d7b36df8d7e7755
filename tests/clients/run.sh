#!/usr/bin/env bash
# The client-side checks of `make test`:
#   1. lints openapi/openapi.json with Redocly (recommended rules; zero errors, zero warnings);
#   2. generates TypeScript types from it, type-checks a client program (tsc --strict) and
#      compiles it;
#   3. starts `postern serve` on a free port with a throw-away SQLite data directory, an admin
#      account and the local OpenID Provider of the Rust tests as its one provider, and runs the
#      program against it: it calls every operation of the
#      document (and fails when one is left out), as an example of how to use each.
# Needs Node.js 20+ and npm; dependencies come from clients/typescript/package-lock.json.
# POSTERN_BIN: the binary to run (default: built here with cargo).
set -euo pipefail

say() { printf 'clients: %s\n' "$*"; }
fail() { printf 'clients: %s\n' "$*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
client="$root/clients/typescript"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  fail "Node.js and npm are needed
for the TypeScript client check. Install Node.js 20 or later (https://nodejs.org, or
apt-get install -y nodejs npm), then run make test again."
fi
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || fail "Node.js $(node --version) is too old; 20 or later is needed."

cd "$client"
# npm ci only when the lock file changed since the last install: node_modules is the cache.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.postern-lock-sum 2>/dev/null || true)" != "$lock_sum" ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_sum" > node_modules/.postern-lock-sum
fi

say "linting openapi/openapi.json (redocly, recommended rules)"
lint_log=$(mktemp)
if ! npx --no-install redocly lint --config redocly.yaml --format=stylish \
    ../../openapi/openapi.json >"$lint_log" 2>&1; then
  cat "$lint_log" >&2; rm -f "$lint_log"
  fail "the OpenAPI document has lint errors (fix the annotations, then make openapi)"
fi
if grep -Eq '^ +[0-9]+:[0-9]+ +warning' "$lint_log"; then
  cat "$lint_log" >&2; rm -f "$lint_log"
  fail "the OpenAPI document has lint warnings"
fi
rm -f "$lint_log"

say "generating types and type-checking the client (tsc --strict)"
# openapi-typescript lints again without the ignore file: its log is shown only on failure.
gen_log=$(mktemp)
if ! npx --no-install openapi-typescript ../../openapi/openapi.json --redocly redocly.yaml \
    --output src/schema.d.ts >"$gen_log" 2>&1; then
  cat "$gen_log" >&2; rm -f "$gen_log"
  fail "openapi-typescript could not generate the types"
fi
rm -f "$gen_log"
npx --no-install tsc --noEmit
rm -rf dist
npx --no-install tsc

if [ -z "${POSTERN_BIN:-}" ]; then
  say "building postern"
  (cd "$root" && cargo build -q -p postern)
  POSTERN_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/postern"
fi
[ -x "$POSTERN_BIN" ] || fail "no postern binary at $POSTERN_BIN"

port=$(node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
idp_port=$(node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
work=$(mktemp -d)
server_pid=""
idp_pid=""
cleanup() {
  for pid in $server_pid $idp_pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The sign-in check signs in through the local OpenID Provider of the Rust tests
# (tests/oidc-provider, installed by `make oidc-provider`). It runs while its standard input is
# open: a FIFO this shell holds open for writing until it exits.
idp_dir="$root/tests/oidc-provider"
[ -d "$idp_dir/node_modules/oidc-provider" ] ||
  fail "the local OpenID Provider is not installed: run make oidc-provider (npm ci in tests/oidc-provider)"
base="http://127.0.0.1:$port"
mkfifo "$work/idp.in"
PORT="$idp_port" REDIRECT_URI="$base/api/v1/auth/oauth/idp/callback" \
  node "$idp_dir/server.mjs" <"$work/idp.in" >"$work/idp.log" 2>&1 &
idp_pid=$!
exec 4>"$work/idp.in"
for _ in $(seq 1 100); do
  grep -q '^listening' "$work/idp.log" && break
  kill -0 "$idp_pid" 2>/dev/null || { cat "$work/idp.log" >&2; fail "the OpenID Provider did not start"; }
  sleep 0.1
done
grep -q '^listening' "$work/idp.log" || { cat "$work/idp.log" >&2; fail "the OpenID Provider did not start within 10 s"; }

# Run from the temporary directory, so that a developer's .env is not read; the variables that
# would point the server elsewhere are removed. The check logs the same account in a dozen
# times and signs up from one address, so the rate limits are off; Argon2 is cheap.
introspection_client="client-check:client-check-introspection-secret-0123456789"
postern=(env -C "$work" -u DATABASE_URL -u REDIS_URL -u SMTP_URL -u JWT_PRIVATE_KEY_FILE
  POSTERN_ENV=development HOST=127.0.0.1 PORT="$port" POSTERN_DATA_DIR="$work/data"
  JWT_SECRET="client-check-secret-0123456789-abcdefghijklmnop" LOG_FORMAT=pretty
  RATE_LIMIT_LOGIN=off RATE_LIMIT_REFRESH=off RATE_LIMIT_SIGNUP=off
  RATE_LIMIT_PASSWORD_FORGOT=off RATE_LIMIT_PASSWORD_RESET_MAIL=off RATE_LIMIT_EMAIL_RESEND=off
  RATE_LIMIT_GLOBAL=off INTROSPECTION_CLIENTS="$introspection_client"
  OIDC_PROVIDERS=idp OIDC_IDP_ISSUER="http://127.0.0.1:$idp_port" OIDC_IDP_CLIENT_ID=postern
  OIDC_IDP_CLIENT_SECRET=postern-secret OAUTH_REDIRECT_ALLOWLIST="$base"
  ARGON2_MEMORY_KIB=1024 ARGON2_ITERATIONS=1 ARGON2_PARALLELISM=1
  RUST_LOG="${RUST_LOG:-warn}" "$POSTERN_BIN")
admin_email=admin@client-check.test
admin_password="client check admin password"
printf '%s\n' "$admin_password" | "${postern[@]}" user create-admin --email "$admin_email" \
  >"$work/admin.log" 2>&1 || { cat "$work/admin.log" >&2; fail "could not create the admin"; }

say "starting postern on 127.0.0.1:$port (SQLite in a temporary directory, the provider on $idp_port)"
"${postern[@]}" serve >"$work/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
  if node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
      "$base/health"; then
    ready=1; break
  fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
if [ -z "${ready:-}" ]; then
  cat "$work/server.log" >&2
  fail "postern did not answer /health within 20 s"
fi

say "running the TypeScript client against $base"
if ! POSTERN_BASE_URL="$base" POSTERN_OPENAPI="$root/openapi/openapi.json" \
    POSTERN_ADMIN_EMAIL="$admin_email" POSTERN_ADMIN_PASSWORD="$admin_password" \
    POSTERN_INTROSPECTION_CLIENT="$introspection_client" \
    node dist/check.js; then
  echo "--- server log ---" >&2; cat "$work/server.log" >&2
  fail "the TypeScript client check failed"
fi
say "ok"
