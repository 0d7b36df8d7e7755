#!/usr/bin/env bash
# Makes sure the build's one system library is there: OpenSSL's development files, which
# webauthn-rs (the WebAuthn ceremonies) links (Debian packages pkg-config and libssl-dev).
# Installs them with apt-get when missing and apt-get is usable (as root); otherwise fails naming
# the packages, since the build fails without them.
set -uo pipefail

fail() { printf 'ensure-build-deps: %s\n' "$*" >&2; exit 1; }
have_openssl() { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openssl; }

have_openssl && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "ensure-build-deps: installing pkg-config and libssl-dev (OpenSSL for WebAuthn)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends pkg-config libssl-dev \
    || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends pkg-config libssl-dev; } \
    || fail "apt-get could not install pkg-config and libssl-dev."
  have_openssl || fail "pkg-config and libssl-dev were installed but pkg-config finds no openssl."
else
  fail "building Postern needs OpenSSL's development files. Install them with
  apt-get install -y pkg-config libssl-dev   (Debian/Ubuntu, as root; openssl-devel on Fedora), then run make again."
fi
