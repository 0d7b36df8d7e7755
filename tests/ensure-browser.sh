#!/usr/bin/env bash
# Makes sure the browser tests can run: Debian's chromium and chromedriver (packages chromium and
# chromium-driver). Installs them with apt-get when missing and apt-get is usable (as root);
# otherwise fails naming the packages, since the browser tests fail without them.
set -uo pipefail

fail() { printf 'ensure-browser: %s\n' "$*" >&2; exit 1; }
have_browser() { command -v chromedriver >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1; }

have_browser && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "ensure-browser: installing chromium and chromium-driver for the browser tests"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver \
    || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver; } \
    || fail "apt-get could not install chromium and chromium-driver."
  have_browser || fail "chromium and chromium-driver were installed but chromium or chromedriver is not on PATH."
else
  fail "the browser tests need chromium and chromedriver. Install them with
  apt-get install -y chromium chromium-driver   (Debian/Ubuntu, as root), then run make test again."
fi
