#!/usr/bin/env bash
# npm start: set up if needed, then run the local stack in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Everything from here runs on the Node that production runs (package.json pins it; see scripts/stack/node-runtime.ts).
export PATH="$PWD/node_modules/.bin:$PATH"
exec node_modules/.bin/tsx scripts/stack.ts "$@"
