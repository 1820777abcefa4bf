#!/usr/bin/env bash
# Creates, or updates to the settings below, the Cloud Tasks queues behind our task-queue functions.
#
#   scripts/provision-queues.sh --project PROJECT_ID [--location us-central1] [--dry-run]
#
# firebase-tools names the queue of an onTaskDispatched function after the function itself, in the
# function's region: projects/P/locations/REGION/queues/runAttempt (lib/gcp/cloudtasks.js
# queueNameForEndpoint), which is also where firebase-admin's taskQueue('runAttempt') enqueues.
# `firebase deploy` upserts these queues too, from the options in functions/src/index.ts on top of its
# defaults; the settings here are exactly that result, so running this before or after a deploy
# converges on the same queues. Use it to create the queues ahead of the first deploy, to put back
# settings changed by hand, and to see (with --dry-run) what a project should have.
# scripts/test/provision-queues.test.ts checks these numbers against functions/src/index.ts.
set -euo pipefail

PROJECT="${GOOGLE_CLOUD_PROJECT:-}"
LOCATION="us-central1"
DRY_RUN=0
GCLOUD="${GCLOUD:-gcloud}"

usage() {
  cat <<'EOF'
Usage: scripts/provision-queues.sh --project PROJECT_ID [--location REGION] [--dry-run]

Creates the Cloud Tasks queues of the task-queue functions (runAttempt, watchdogTick), or updates
them to the settings in functions/src/index.ts when they exist.

Options:
  --project ID      Google Cloud project (default: $GOOGLE_CLOUD_PROJECT)
  --location REGION the functions' region (default: us-central1)
  --dry-run         print the gcloud commands instead of running them
  -h, --help        this help
EOF
}

err() { printf '[queues] ERROR: %s\n' "$*" >&2; }
die_usage() { err "$*"; printf 'Run with --help for usage.\n' >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --project) [[ $# -ge 2 ]] || die_usage "--project needs a project id"; PROJECT="$2"; shift 2 ;;
    --project=*) PROJECT="${1#*=}"; shift ;;
    --location) [[ $# -ge 2 ]] || die_usage "--location needs a region"; LOCATION="$2"; shift 2 ;;
    --location=*) LOCATION="${1#*=}"; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done

[[ -n "$PROJECT" ]] || die_usage "--project is required (or set GOOGLE_CLOUD_PROJECT)"
[[ "$PROJECT" =~ ^[a-z][a-z0-9:.-]{4,61}[a-z0-9]$ ]] || die_usage "--project: '$PROJECT' is not a project id"
[[ "$PROJECT" != demo-* ]] || die_usage "--project: '$PROJECT' is an emulator-only demo project; its queues are the Tasks emulator's"
[[ "$LOCATION" =~ ^[a-z]+-[a-z]+[0-9]+$ ]] || die_usage "--location: '$LOCATION' is not a region such as us-central1"

# Queue name, then its flags (shared by create and update).
# runAttempt: retryConfig { maxAttempts: 200, minBackoffSeconds: 1, maxBackoffSeconds: 15, maxDoublings: 4 },
#             rateLimits { maxConcurrentDispatches: 100 }; maxDispatchesPerSecond is firebase-tools' default.
RUN_ATTEMPT_FLAGS=(--max-attempts=200 --min-backoff=1s --max-backoff=15s --max-doublings=4 --max-concurrent-dispatches=100 --max-dispatches-per-second=500)
# watchdogTick: retryConfig { maxAttempts: 1 }; the rest are firebase-tools' defaults (a sweep that
# fails is not retried: the next tick sweeps again).
WATCHDOG_TICK_FLAGS=(--max-attempts=1 --min-backoff=0.1s --max-backoff=3600s --max-doublings=16 --max-concurrent-dispatches=1000 --max-dispatches-per-second=500)

quoted() { local out="" arg; for arg in "$@"; do out+="$(printf '%q' "$arg") "; done; printf '%s' "${out% }"; }

# create; when that fails and the queue exists, update with the same flags.
provision() {
  local queue="$1"; shift
  local common=(--project="$PROJECT" --location="$LOCATION" --quiet)
  local create=("$GCLOUD" tasks queues create "$queue" "${common[@]}" "$@")
  local update=("$GCLOUD" tasks queues update "$queue" "${common[@]}" "$@")
  if [[ $DRY_RUN -eq 1 ]]; then
    printf '%s\n' "$(quoted "${create[@]}")"
    printf '# when %s exists:\n%s\n' "$queue" "$(quoted "${update[@]}")"
    return 0
  fi
  local out
  if out="$("${create[@]}" 2>&1)"; then
    printf '[queues] created %s in %s/%s\n' "$queue" "$PROJECT" "$LOCATION"
    return 0
  fi
  # Whatever the wording of the error, the queue existing is what decides.
  if "$GCLOUD" tasks queues describe "$queue" --project="$PROJECT" --location="$LOCATION" --format='value(name)' >/dev/null 2>&1; then
    if out="$("${update[@]}" 2>&1)"; then
      printf '[queues] updated %s in %s/%s\n' "$queue" "$PROJECT" "$LOCATION"
      return 0
    fi
    err "updating $queue failed:"
  else
    err "creating $queue failed (is the Cloud Tasks API enabled, and may this account administer queues?):"
  fi
  printf '%s\n' "$out" >&2
  return 1
}

if [[ $DRY_RUN -eq 0 ]]; then
  command -v "$GCLOUD" >/dev/null || die_usage "gcloud not found: install the Google Cloud CLI, or use --dry-run to see the commands"
else
  printf '# Cloud Tasks queues for %s in %s (dry run: nothing is changed)\n' "$PROJECT" "$LOCATION"
fi

status=0
provision runAttempt "${RUN_ATTEMPT_FLAGS[@]}" || status=1
provision watchdogTick "${WATCHDOG_TICK_FLAGS[@]}" || status=1
exit "$status"
