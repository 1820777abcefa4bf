#!/usr/bin/env bash
# Downloads the model files listed in scripts/models.json into a ComfyUI models tree (by default the
# RunPod volume at /workspace/models), resumably, and verifies each against its size and sha256.
#
#   scripts/download-models.sh [--only animatediff|svd|common]... [--dest DIR] [--manifest FILE] [--dry-run]
#
# Each file is fetched into FILE.part with `curl -C -` (an interrupted run resumes where it stopped),
# checked, then renamed into place, so a file under its final name is always whole. A verified file
# gets a sidecar FILE.sha256 ("sha256 size mtime"); while the file keeps that size and mtime a later
# run trusts the sidecar instead of hashing gigabytes again. A manifest entry without a sha256 is
# downloaded but never marked verified (a warning says so). Exit status: 0 when every selected file
# is in place, 1 when any failed, 2 for bad usage or a bad manifest.
#
# Environment: MODELS_DIR (default destination), HF_TOKEN (sent as "Authorization: Bearer" for gated
# models, only to the hosts in HF_TOKEN_HOSTS, default "huggingface.co hf.co").
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MANIFEST="$SCRIPT_DIR/models.json"
DEST="${MODELS_DIR:-/workspace/models}"
DRY_RUN=0
ONLY=()
GROUPS_KNOWN=(animatediff svd common)
HF_TOKEN_HOSTS="${HF_TOKEN_HOSTS:-huggingface.co hf.co}"

usage() {
  cat <<'EOF'
Usage: scripts/download-models.sh [options]

Downloads the ComfyUI model files of scripts/models.json, resumably, verifying size and sha256.

Options:
  --only GROUP      only this group (animatediff, svd or common; repeat or comma-separate for more);
                    files of group "common" are always included
  --dest DIR        models directory (default: $MODELS_DIR, else /workspace/models)
  --manifest FILE   manifest to read (default: scripts/models.json)
  --dry-run         print what would be fetched, where, and how big; change nothing
  -h, --help        this help

Environment:
  HF_TOKEN          Hugging Face token for gated models (sent only to huggingface.co / hf.co)
  MODELS_DIR        default for --dest
EOF
}

say() { printf '[models] %s\n' "$*"; }
warn() { printf '[models] WARNING: %s\n' "$*" >&2; }
err() { printf '[models] ERROR: %s\n' "$*" >&2; }
die_usage() { err "$*"; printf 'Run with --help for usage.\n' >&2; exit 2; }

add_only() {
  local value="$1" item known g items
  IFS=',' read -r -a items <<<"$value"
  for item in "${items[@]}"; do
    known=0
    for g in "${GROUPS_KNOWN[@]}"; do [[ "$item" == "$g" ]] && known=1; done
    [[ $known -eq 1 ]] || die_usage "--only: unknown group '$item' (expected one of: ${GROUPS_KNOWN[*]})"
    ONLY+=("$item")
  done
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) [[ $# -ge 2 ]] || die_usage "--only needs a group"; add_only "$2"; shift 2 ;;
    --only=*) add_only "${1#*=}"; shift ;;
    --dest) [[ $# -ge 2 ]] || die_usage "--dest needs a directory"; DEST="$2"; shift 2 ;;
    --dest=*) DEST="${1#*=}"; shift ;;
    --manifest) [[ $# -ge 2 ]] || die_usage "--manifest needs a file"; MANIFEST="$2"; shift 2 ;;
    --manifest=*) MANIFEST="${1#*=}"; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done

[[ -n "$DEST" ]] || die_usage "--dest is empty"
[[ -f "$MANIFEST" ]] || die_usage "manifest not found: $MANIFEST"
command -v node >/dev/null || die_usage "node is needed to read the manifest"
if [[ $DRY_RUN -eq 0 ]]; then
  command -v curl >/dev/null || die_usage "curl is needed to download"
  command -v sha256sum >/dev/null || command -v shasum >/dev/null || die_usage "sha256sum (or shasum) is needed to verify"
fi

# The manifest, validated, as one line per model: fields separated by \x1f (not whitespace, so empty
# fields survive `read`), null as an empty field.
read_manifest() {
  # shellcheck disable=SC2016 # the JavaScript is meant to be single-quoted
  node -e '
const fs = require("fs");
const file = process.argv[1];
const fail = (message) => { process.stderr.write(`manifest ${file}: ${message}\n`); process.exit(2); };
let doc;
try { doc = JSON.parse(fs.readFileSync(file, "utf8")); } catch (error) { fail(`not readable JSON (${error.message})`); }
if (!doc || !Array.isArray(doc.models) || doc.models.length === 0) fail("needs a non-empty \"models\" array");
const groups = ["animatediff", "svd", "common"];
const seen = new Set();
const lines = doc.models.map((m, i) => {
  const where = `models[${i}]${m && m.id ? ` (${m.id})` : ""}`;
  if (!m || typeof m !== "object") fail(`${where}: must be an object`);
  if (typeof m.id !== "string" || !/^[A-Za-z0-9._-]+$/.test(m.id)) fail(`${where}.id: letters, digits, ".", "_" and "-" only`);
  if (typeof m.file !== "string" || !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(m.file)) fail(`${where}.file: a plain file name`);
  if (typeof m.folder !== "string" || !/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(m.folder)) fail(`${where}.folder: a relative folder such as "checkpoints"`);
  if (!groups.includes(m.group)) fail(`${where}.group: one of ${groups.join(", ")}`);
  if (typeof m.url !== "string" || !/^https?:\/\/[^\s]+$/.test(m.url)) fail(`${where}.url: an http(s) URL`);
  if (m.sizeBytes !== null && !(Number.isSafeInteger(m.sizeBytes) && m.sizeBytes > 0)) fail(`${where}.sizeBytes: a positive integer or null`);
  if (m.sha256 !== null && !(typeof m.sha256 === "string" && /^[0-9a-fA-F]{64}$/.test(m.sha256))) fail(`${where}.sha256: 64 hex digits or null`);
  const key = `${m.folder}/${m.file}`;
  if (seen.has(key)) fail(`${where}: ${key} is listed twice`);
  seen.add(key);
  return [m.id, m.file, m.folder, m.group, m.url, m.sizeBytes ?? "", m.sha256 ? m.sha256.toLowerCase() : "", m.gated ? 1 : 0].join("\x1f");
});
process.stdout.write(lines.join("\n") + "\n");
' "$1"
}

file_size() { stat -c %s "$1" 2>/dev/null || stat -f %z "$1"; }
file_mtime() { stat -c %Y "$1" 2>/dev/null || stat -f %m "$1"; }
sha256_of() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | awk '{print $1}'; else shasum -a 256 "$1" | awk '{print $1}'; fi
}
human() {
  [[ -n "$1" ]] || { printf 'size unknown'; return; }
  awk -v b="$1" 'BEGIN { split("B KB MB GB TB", u, " "); i = 1; while (b >= 1000 && i < 5) { b /= 1000; i++ } printf (i == 1 ? "%d %s" : "%.2f %s"), b, u[i] }'
}
wanted() {
  local group="$1" g
  [[ ${#ONLY[@]} -eq 0 || "$group" == common ]] && return 0
  for g in "${ONLY[@]}"; do [[ "$g" == "$group" ]] && return 0; done
  return 1
}
url_host() { local h="${1#*://}"; h="${h%%/*}"; h="${h##*@}"; printf '%s' "${h%%:*}"; }
token_for() {
  local host h
  host="$(url_host "$1")"
  [[ -n "${HF_TOKEN:-}" ]] || return 1
  for h in $HF_TOKEN_HOSTS; do [[ "$host" == "$h" ]] && return 0; done
  return 1
}

# True when the sidecar says this exact file (same size and mtime) was verified against this sha256.
sidecar_ok() {
  local target="$1" sha="$2" line
  [[ -f "$target.sha256" ]] || return 1
  line="$(head -n 1 "$target.sha256")"
  [[ "$line" == "$sha $(file_size "$target") $(file_mtime "$target")" ]]
}
write_sidecar() { printf '%s %s %s\n' "$2" "$(file_size "$1")" "$(file_mtime "$1")" >"$1.sha256"; }

# Checks a file already under its final name. 0: keep it; 1: (removed, or absent) download it.
check_present() {
  local target="$1" size="$2" sha="$3" actual got
  [[ -f "$target" ]] || return 1
  actual="$(file_size "$target")"
  if [[ -n "$size" && "$actual" != "$size" ]]; then
    warn "$target is $actual bytes, expected $size: replacing it"
    rm -f -- "$target" "$target.sha256"
    return 1
  fi
  if [[ -z "$sha" ]]; then
    warn "$target is present but NOT verified: the manifest has no sha256 for it"
    return 0
  fi
  if sidecar_ok "$target" "$sha"; then
    say "ok       $target (verified)"
    return 0
  fi
  say "checking $target (sha256 of $(human "$actual"))"
  got="$(sha256_of "$target")"
  if [[ "$got" == "$sha" ]]; then
    write_sidecar "$target" "$sha"
    say "ok       $target (verified)"
    return 0
  fi
  warn "$target has sha256 $got, expected $sha: replacing it"
  rm -f -- "$target" "$target.sha256"
  return 1
}

# One curl run into $part, resuming when it exists. Sets HTTP_CODE; returns curl's exit status.
HTTP_CODE=""
fetch() {
  local url="$1" part="$2" resume="$3" rc=0
  local args=(--location --fail --retry 5 --connect-timeout 30 --output "$part" --write-out '%{http_code}')
  [[ "$resume" == 1 ]] && args+=(--continue-at -)
  if [[ -t 2 ]]; then args+=(--progress-bar); else args+=(--no-progress-meter); fi
  if token_for "$url"; then
    # The header comes from a file descriptor, so the token never shows in the process list.
    HTTP_CODE="$(curl "${args[@]}" --header @<(printf 'Authorization: Bearer %s\n' "$HF_TOKEN") "$url")" || rc=$?
  else
    HTTP_CODE="$(curl "${args[@]}" "$url")" || rc=$?
  fi
  return "$rc"
}

http_hint() {
  case "$1" in
    401|403) printf 'HTTP %s: access refused; a gated model needs HF_TOKEN from an account that accepted its licence' "$1" ;;
    404) printf 'HTTP 404: not found; check the URL in the manifest' ;;
    416) printf 'HTTP 416: the server refused the resume range' ;;
    000|'') printf 'no HTTP answer' ;;
    *) printf 'HTTP %s' "$1" ;;
  esac
}

# Downloads one model into place. 0: in place (verified, or unverified with a warning); 1: failed.
download() {
  local id="$1" url="$2" target="$3" size="$4" sha="$5" gated="$6"
  local part="$target.part" have=0 rc=0 got actual
  mkdir -p -- "$(dirname "$target")"
  if [[ -f "$part" ]]; then
    have="$(file_size "$part")"
    if [[ -n "$size" && "$have" -gt "$size" ]]; then
      warn "$part is larger than the file should be: starting over"
      rm -f -- "$part"; have=0
    fi
  fi
  if [[ -n "$size" ]]; then
    local avail_kb avail
    avail_kb="$(df -P -k -- "$(dirname "$target")" 2>/dev/null | awk 'NR == 2 { print $4 }')" || avail_kb=""
    if [[ "$avail_kb" =~ ^[0-9]+$ ]] && avail=$((avail_kb * 1024)) && [[ $((size - have)) -gt "$avail" ]]; then
      err "$id: needs $(human $((size - have))) more but $(dirname "$target") has $(human "$avail") free"
      return 1
    fi
  fi
  if [[ -n "$size" && "$have" -eq "$size" ]]; then
    say "resume   $id: $part is complete, verifying"
  else
    if [[ "$have" -gt 0 ]]; then
      say "resume   $id: $(human "$have") of $(human "$size") from $url"
    else
      say "fetch    $id: $(human "$size") from $url"
    fi
    [[ "$gated" == 1 ]] && ! token_for "$url" && warn "$id is gated on Hugging Face and HF_TOKEN is not set"
    fetch "$url" "$part" 1 || rc=$?
    if [[ $rc -eq 33 || ( $rc -eq 22 && "$HTTP_CODE" == 416 ) ]]; then
      # The server will not resume this file: start it again from the first byte.
      warn "$id: the server cannot resume; downloading from the start"
      rm -f -- "$part"; rc=0
      fetch "$url" "$part" 0 || rc=$?
    fi
    if [[ $rc -ne 0 ]]; then
      if [[ $rc -eq 22 ]]; then
        err "$id: download failed: $(http_hint "$HTTP_CODE") ($url)"
        [[ -f "$part" && "$(file_size "$part")" -eq 0 ]] && rm -f -- "$part"
      else
        err "$id: download failed (curl exit $rc, $(http_hint "$HTTP_CODE")); run again to resume ($url)"
      fi
      return 1
    fi
  fi
  actual="$(file_size "$part")"
  if [[ -n "$size" && "$actual" != "$size" ]]; then
    err "$id: downloaded $actual bytes, expected $size; removed the download"
    rm -f -- "$part"
    return 1
  fi
  if [[ -n "$sha" ]]; then
    say "verify   $id: sha256 of $(human "$actual")"
    got="$(sha256_of "$part")"
    if [[ "$got" != "$sha" ]]; then
      err "$id: sha256 mismatch: expected $sha, got $got; removed the download"
      rm -f -- "$part"
      return 1
    fi
  fi
  mv -f -- "$part" "$target"
  if [[ -n "$sha" ]]; then
    write_sidecar "$target" "$sha"
    say "done     $target (verified)"
  else
    rm -f -- "$target.sha256"
    warn "$target downloaded ($actual bytes) but NOT verified: the manifest has no sha256 for it"
  fi
}

ENTRIES="$(read_manifest "$MANIFEST")" || exit 2

selected=0 failed=() unverified=0 to_fetch=0 to_fetch_files=0 unknown_size=0
if [[ $DRY_RUN -eq 1 ]]; then say "dry run: nothing is downloaded or changed"; fi
say "destination: $DEST"
while IFS=$'\x1f' read -r -u 3 id file folder group url size sha gated; do
  [[ -n "$id" ]] || continue
  wanted "$group" || continue
  selected=$((selected + 1))
  target="$DEST/$folder/$file"
  [[ -z "$sha" ]] && unverified=$((unverified + 1))

  if [[ $DRY_RUN -eq 1 ]]; then
    state="missing"
    if [[ -f "$target" ]]; then
      if [[ -n "$sha" ]] && sidecar_ok "$target" "$sha"; then state="present, verified"; else state="present, not verified yet"; fi
    elif [[ -f "$target.part" ]]; then
      state="partial, $(human "$(file_size "$target.part")") downloaded"
    fi
    printf '[models] would fetch %s (%s, group %s%s)\n           %s\n        -> %s  [%s]\n' \
      "$id" "$(human "$size")" "$group" "$([[ "$gated" == 1 ]] && printf ', gated: needs HF_TOKEN')" "$url" "$target" "$state"
    if [[ "$state" != present* ]]; then
      to_fetch_files=$((to_fetch_files + 1))
      if [[ -n "$size" ]]; then to_fetch=$((to_fetch + size)); else unknown_size=$((unknown_size + 1)); fi
    fi
    [[ -z "$sha" ]] && warn "$id has no sha256 in the manifest: it would be downloaded but not verified"
    continue
  fi

  (
    # One process at a time per file (pods can share a volume); a second one waits, then finds it done.
    mkdir -p -- "$DEST/$folder"
    if command -v flock >/dev/null; then
      exec 9>"$DEST/$folder/.$file.lock"
      flock 9
    fi
    check_present "$target" "$size" "$sha" && exit 0
    download "$id" "$url" "$target" "$size" "$sha" "$gated"
  ) || failed+=("$id")
done 3<<<"$ENTRIES"

if [[ $selected -eq 0 ]]; then
  err "no model in $MANIFEST matches --only ${ONLY[*]}"
  exit 1
fi
if [[ $DRY_RUN -eq 1 ]]; then
  say "would fetch $to_fetch_files of $selected file(s), $(human "$to_fetch")$([[ $unknown_size -gt 0 ]] && printf ' plus %s of unknown size' "$unknown_size")"
  exit 0
fi
if [[ ${#failed[@]} -gt 0 ]]; then
  err "${#failed[@]} of $selected failed: ${failed[*]}"
  exit 1
fi
if [[ $unverified -gt 0 ]]; then
  say "all $selected in place; $unverified of them not verified (no sha256 in the manifest)"
else
  say "all $selected in place and verified"
fi
