#!/usr/bin/env bash
# Writes functions/package-lock.json: what Cloud Build installs (npm ci) when `firebase deploy` uploads
# functions/ alone. Resolved outside the workspace, as the cloud build sees the folder. Run it after
# changing functions/package.json; scripts/test/functions-lock.test.ts checks the two agree.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp functions/package.json "$scratch/"
(cd "$scratch" && npm install --package-lock-only --ignore-scripts --no-audit --no-fund >/dev/null)
cp "$scratch/package-lock.json" functions/package-lock.json
echo "functions/package-lock.json written"
