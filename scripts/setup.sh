#!/usr/bin/env bash
# Installs what the project needs on a fresh machine and builds it. Idempotent and quiet when done.
set -euo pipefail
cd "$(dirname "$0")/.."

need_java() { command -v java >/dev/null 2>&1; }
if ! need_java; then
  echo "Java is required by the Firestore emulator; installing a JRE with apt-get" >&2
  apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null
fi

# The demo page's browser test drives Debian's chromium through playwright-core (which downloads no browser).
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing chromium with apt-get (for the demo page's browser test)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

echo "Building"
npm run build --silent
