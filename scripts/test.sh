#!/usr/bin/env bash
# npm test: set up if needed, then lint, type-check, check the dependency rules, run unit tests, then the
# tests against the local stack (which the stack project's global setup starts and stops).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Everything from here runs on the Node that production runs (package.json pins it; see scripts/stack/node-runtime.ts).
export PATH="$PWD/node_modules/.bin:$PATH"
echo "== Node $(node --version)"
echo "== lint"; npx eslint . --max-warnings 0
echo "== dependency rules"; npx depcruise --config .dependency-cruiser.cjs --output-type err .
# Jest runs tests in vm contexts, where a dynamic import() (the Google client libraries load node-fetch
# that way) needs this flag.
jest() { node --experimental-vm-modules node_modules/jest/bin/jest.js "$@"; }
# The unit tests wait on emulators, ffmpeg and local servers more than they compute: at least two
# workers even on two cores (jest's default there is one).
echo "== unit tests"; jest --selectProjects unit --ci --maxWorkers="$(( $(nproc) > 2 ? $(nproc) - 1 : 2 ))"
echo "== stack tests"; jest --selectProjects stack --ci --runInBand
