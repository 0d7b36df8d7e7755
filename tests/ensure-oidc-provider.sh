#!/usr/bin/env bash
# Makes sure the sign-in tests can start their OpenID Provider: installs tests/oidc-provider's
# packages exactly as its package-lock.json pins them (npm ci) when they are missing or older
# than the lock file. The tests call it themselves; `make test` calls it up front.
set -euo pipefail

fail() { printf 'ensure-oidc-provider: %s\n' "$*" >&2; exit 1; }

cd "$(dirname "$0")/oidc-provider"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
  || fail "the sign-in tests need Node.js 20 or later with npm (apt-get install -y nodejs npm)."
[ node_modules/.package-lock.json -nt package-lock.json ] && exit 0
npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed in tests/oidc-provider."
