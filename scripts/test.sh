#!/usr/bin/env bash
# npm test: set up if needed, then lint, type-check, check layering, run unit tests, then the
# tests against the local stack (which the stack project's global setup starts and stops).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== lint"; npx eslint . --max-warnings 0
echo "== circular imports"; npx madge --circular --extensions ts --ts-config tsconfig.base.json packages/contract/src packages/media/src functions/src gpu-worker/src comfyui-sim/src provider-sims/src scripts
echo "== unit tests"; npx jest --selectProjects unit --ci
echo "== stack tests"; npx jest --selectProjects stack --ci --runInBand
