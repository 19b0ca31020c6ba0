#!/usr/bin/env bash
# npm test: typecheck, lint, unit tests (Node) and browser tests (Playwright + Debian Chromium).
# Installs Chromium through apt when it is missing and we are root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

ensure_chromium() {
  local path="${CHROMIUM_PATH:-/usr/bin/chromium}"
  if [ -x "$path" ]; then return 0; fi
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file. Point it at a Chromium or Chrome binary." >&2
    exit 1
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Chromium is missing: installing Debian's chromium package with apt-get…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
    return 0
  fi
  cat >&2 <<MSG
The browser tests need Chromium, and /usr/bin/chromium does not exist.
Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium/Chrome binary,
then run npm test again.
MSG
  exit 1
}

mkdir -p build/test-reports
ensure_chromium
echo "== models (npm run build:models)"
npm run --silent build:models
echo "== typecheck"
npm run --silent typecheck
echo "== lint"
npm run --silent lint
echo "== unit tests"
unit_rc=0
npx vitest run --reporter=default --reporter=json --outputFile.json=build/test-reports/unit.json || unit_rc=$?
echo "== browser tests"
e2e_rc=0
PLAYWRIGHT_JSON_OUTPUT_NAME=build/test-reports/e2e.json npx playwright test --reporter=list,json || e2e_rc=$?
node tools/test-summary.mjs build/test-reports/unit.json build/test-reports/e2e.json
[ "$unit_rc" = 0 ] && [ "$e2e_rc" = 0 ]
