#!/usr/bin/env bash
# npm start: set up if needed, then run the local stack in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node_modules/.bin/tsx scripts/stack.ts "$@"
