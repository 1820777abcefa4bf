#!/usr/bin/env bash
# The GPU pod's entrypoint (under tini): check the worker's configuration, fetch missing models onto
# the volume, start ComfyUI on 127.0.0.1 (restarted if it dies), wait until it answers, then exec the
# worker. Exec makes the worker the process tini signals: `docker stop` / a RunPod stop sends it
# SIGTERM, it stops taking work, finishes or hands back what runs (ComfyUI keeps running meanwhile)
# and removes its registration; the container ends when it exits.
#
# Environment (besides the worker's own, gpu-worker/src/config.ts):
#   DOWNLOAD_MODELS        animatediff (default) | svd | all | none: which model groups to fetch when
#                          missing (scripts/download-models.sh; a failure is logged and the worker
#                          starts anyway, offering only the tiers whose models are present)
#   MODELS_DIR             the models volume (default /workspace/models)
#   HF_TOKEN               Hugging Face token, for gated models (SVD XT 1.1)
#   GCP_SERVICE_ACCOUNT_JSON  the service account key itself (a RunPod secret); written to a file
#                          only this script's user (root in the image) can read (0400, in a 0700
#                          folder on the container disk), used as GOOGLE_APPLICATION_CREDENTIALS
#                          when that is unset, and removed from the environment
#   COMFYUI_USER           run ComfyUI as this unprivileged user (the image sets `comfyui`), so it can
#                          read neither the key file nor the worker's environment; needs root. Empty:
#                          ComfyUI runs as this script's user. ComfyUI never gets the secrets in its
#                          environment (WORKER_SHARED_SECRET, METRICS_TOKEN, HF_TOKEN, the key's path) either way
#   COMFYUI_DIR, COMFYUI_PORT (8188), COMFYUI_ARGS (extra flags, e.g. --lowvram),
#   COMFYUI_START_TIMEOUT  seconds to wait for ComfyUI's /system_stats (default 600)
#   RUNPOD_POD_ID          set by RunPod: WORKER_ID and WORKER_PUBLIC_URL default from it
#   WORKER_MAX_OLD_SPACE_MB  V8's old-space limit for the worker (default 128). The worker keeps about
#                          50 MB after a full collection whatever it has run; unbounded, V8 sizes its
#                          heap from the pod's memory and under a steady load of jobs grows it in
#                          steps and keeps it (RSS rising by over 100 MB in 300 jobs in the bench
#                          soak), where at 128 MB RSS stays flat. Raise it if the worker crashes on
#                          its heap limit. The semi-spaces keep their default size (16 MB): with the
#                          limit alone V8 makes them 64 MB and, unable to promote that much into the
#                          old space, collects in full instead (six times the worker's CPU)
set -euo pipefail

APP_DIR="${APP_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
COMFYUI_DIR="${COMFYUI_DIR:-/opt/ComfyUI}"
COMFYUI_PORT="${COMFYUI_PORT:-8188}"
COMFYUI_ARGS="${COMFYUI_ARGS:-}"
COMFYUI_START_TIMEOUT="${COMFYUI_START_TIMEOUT:-600}"
PYTHON="${PYTHON:-python3}"
NODE="${NODE:-node}"
export MODELS_DIR="${MODELS_DIR:-/workspace/models}"
DOWNLOAD_MODELS="${DOWNLOAD_MODELS:-animatediff}"

log() { printf '[start] %s\n' "$*" >&2; }

# --- identity and credentials ---------------------------------------------------------------------
if [[ -n "${RUNPOD_POD_ID:-}" ]]; then
  export WORKER_ID="${WORKER_ID:-runpod-${RUNPOD_POD_ID}}"
  export WORKER_PUBLIC_URL="${WORKER_PUBLIC_URL:-https://${RUNPOD_POD_ID}-${PORT:-8000}.proxy.runpod.net}"
fi
if [[ -n "${GCP_SERVICE_ACCOUNT_JSON:-}" && -z "${GOOGLE_APPLICATION_CREDENTIALS:-}" ]]; then
  credentials_dir="$(mktemp -d)"
  (umask 077 && printf '%s' "$GCP_SERVICE_ACCOUNT_JSON" >"$credentials_dir/service-account.json")
  chmod 0400 "$credentials_dir/service-account.json"
  export GOOGLE_APPLICATION_CREDENTIALS="$credentials_dir/service-account.json"
fi
unset GCP_SERVICE_ACCOUNT_JSON

# ComfyUI (and every custom node it loads) runs as COMFYUI_USER when set: a user that cannot read the
# key file above, nor /proc/<pid>/environ of the worker, which keeps the secrets in its environment.
COMFYUI_USER="${COMFYUI_USER:-}"
as_comfyui=()
if [[ -n "$COMFYUI_USER" ]]; then
  if ! comfyui_uid="$(id -u "$COMFYUI_USER" 2>/dev/null)"; then log "COMFYUI_USER: there is no user '$COMFYUI_USER'"; exit 1; fi
  if [[ "$(id -u)" != 0 && "$(id -u)" != "$comfyui_uid" ]]; then log "COMFYUI_USER=$COMFYUI_USER needs start.sh to run as root"; exit 1; fi
  comfyui_home="$(getent passwd "$COMFYUI_USER" | cut -d: -f6)"
  as_comfyui=(setpriv "--reuid=$comfyui_uid" "--regid=$(id -g "$COMFYUI_USER")" --clear-groups --no-new-privs env "HOME=${comfyui_home:-/tmp}" "USER=$COMFYUI_USER")
fi
export COMFYUI_URL="${COMFYUI_URL:-http://127.0.0.1:${COMFYUI_PORT}}"

# Fail in a second, naming the variable, rather than after minutes of downloads and ComfyUI start-up.
# shellcheck disable=SC2016 # the JavaScript is meant to be single-quoted
"$NODE" -e '
try { require(process.argv[1]).loadConfig(); }
catch (error) { process.stderr.write(`[start] ${error.message}\n`); process.exit(1); }
' "$APP_DIR/gpu-worker/dist/config.js"
log "worker ${WORKER_ID:-(hostname)} at ${WORKER_PUBLIC_URL:-(its listen address)}; ComfyUI at $COMFYUI_URL"

# --- models ---------------------------------------------------------------------------------------
case "$DOWNLOAD_MODELS" in
  none) log "DOWNLOAD_MODELS=none: using the models already in $MODELS_DIR" ;;
  all|animatediff|svd)
    only=()
    [[ "$DOWNLOAD_MODELS" == all ]] || only=(--only "$DOWNLOAD_MODELS")
    log "models: making sure the '$DOWNLOAD_MODELS' set is in $MODELS_DIR"
    if ! bash "$APP_DIR/scripts/download-models.sh" --dest "$MODELS_DIR" "${only[@]}"; then
      log "WARNING: some models are missing; the worker offers only the tiers whose models ComfyUI has"
    fi
    ;;
  *) log "DOWNLOAD_MODELS must be animatediff, svd, all or none, not '$DOWNLOAD_MODELS'"; exit 1 ;;
esac
mkdir -p "$MODELS_DIR"/{checkpoints,vae,loras,animatediff_models,clip_vision}
MODEL_PATHS="$APP_DIR/gpu-worker/runpod/extra_model_paths.yaml"
if [[ "$MODELS_DIR" != /workspace/models ]]; then
  # The file names /workspace/models; point a copy of it at the volume we were given instead.
  MODEL_PATHS="$(mktemp --suffix=.yaml)"
  sed "s|^\(  base_path:\).*|\1 $MODELS_DIR|" "$APP_DIR/gpu-worker/runpod/extra_model_paths.yaml" >"$MODEL_PATHS"
  chmod 0644 "$MODEL_PATHS" # ComfyUI reads it, possibly as COMFYUI_USER; it holds no secret
fi

# --- ComfyUI --------------------------------------------------------------------------------------
# In the background, restarted when it exits, so a crash costs the running attempts (retried by the
# dispatcher) but not the pod. It is not the process tini signals, so it keeps serving while the
# worker drains.
run_comfyui() {
  local status
  while true; do
    status=0
    # shellcheck disable=SC2086 # COMFYUI_ARGS is a list of flags
    (cd "$COMFYUI_DIR" && exec env -u WORKER_SHARED_SECRET -u METRICS_TOKEN -u HF_TOKEN -u GOOGLE_APPLICATION_CREDENTIALS \
      "${as_comfyui[@]}" "$PYTHON" main.py --listen 127.0.0.1 --port "$COMFYUI_PORT" \
      --extra-model-paths-config "$MODEL_PATHS" --disable-auto-launch $COMFYUI_ARGS) || status=$?
    log "ComfyUI exited with status $status; starting it again in 5 s"
    sleep 5
  done
}
run_comfyui &

log "waiting for ComfyUI on 127.0.0.1:$COMFYUI_PORT (up to ${COMFYUI_START_TIMEOUT}s)"
deadline=$((SECONDS + COMFYUI_START_TIMEOUT))
until curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:${COMFYUI_PORT}/system_stats"; do
  if ((SECONDS >= deadline)); then
    log "ComfyUI did not answer /system_stats within ${COMFYUI_START_TIMEOUT}s; stopping the pod"
    exit 1
  fi
  sleep 2
done
log "ComfyUI is up; starting the worker"

# --- the worker -----------------------------------------------------------------------------------
exec "$NODE" "--max-old-space-size=${WORKER_MAX_OLD_SPACE_MB:-128}" --max-semi-space-size=16 "$APP_DIR/gpu-worker/dist/index.js"
