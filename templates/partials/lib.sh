#!/bin/bash
# shellcheck disable=SC2034 # the scripts that source this file read these variables
# Shared by every NodeImager node script: logging, IMDSv2, status reports, failure trap.
# Sourced, never run; the settings come from node.env (no secrets there).
set -a
# shellcheck source=/dev/null
. "${NODEIMAGER_ENV:-/etc/nodeimager/node.env}"
set +a

LOG=${NODEIMAGER_LOG:-/var/log/nodeimager-bootstrap.log}
RUN_DIR=${NODEIMAGER_RUN:-/run}
STEP=start
STATUS_NOTE=""
INSTALLED_VERSION=""
IMDS="${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254/}"

log() { echo "$(date -u +%FT%TZ) [$STEP] $*"; }

# Everything the script prints (and kubeadm's progress) lands in one log, readable by root only. tee runs on its
# own, so the file may lag behind what was printed: flush_log catches it up before anyone reads the file.
start_log() {
  touch "$LOG"
  chmod 0600 "$LOG"
  [ -n "${CONSOLE_FD:-}" ] || exec {CONSOLE_FD}>&1
  exec > >(tee -a "$LOG") 2>&1
  LOG_WRITER=$!
}

# Points output back at the console and waits until tee has written all it was given and ended. Bounded: a
# daemon that inherited the pipe would keep tee from ever seeing its end, so after 10 s tee is stopped.
flush_log() {
  [ -n "${LOG_WRITER:-}" ] || return 0
  exec >&"$CONSOLE_FD" 2>&1
  local polls=100
  while kill -0 "$LOG_WRITER" 2> /dev/null && [ "$((polls -= 1))" -gt 0 ]; do sleep 0.1; done
  kill "$LOG_WRITER" 2> /dev/null || true
  wait "$LOG_WRITER" 2> /dev/null || true
  LOG_WRITER=""
}

imds() {
  local token
  token=$(curl -fsS -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 300" "${IMDS%/}/latest/api/token") || return 1
  curl -fsS -H "X-aws-ec2-metadata-token: $token" "${IMDS%/}/latest/meta-data/$1"
}

load_identity() {
  INSTANCE_ID=$(imds instance-id)
  PRIVATE_IP=$(imds local-ipv4)
  # A node in a private subnet has no public address; IMDS answers 404 then.
  PUBLIC_IP=$(imds public-ipv4 || true)
  AWS_DEFAULT_REGION=$(imds placement/region)
  export AWS_DEFAULT_REGION
}

# Token-shaped strings never leave the node, not even inside a log tail.
redact() { sed -E 's/[a-z0-9]{6}\.[a-z0-9]{16}/[redacted-token]/g'; }

# report PHASE [MESSAGE]: writes this node's status parameter (String JSON, at most 4096 bytes).
report() {
  local phase=$1 message=${2:-} log_tail="" json
  # Read before this report's own line is logged: the tail then ends where the failure did, not mid-write.
  [ "$phase" = failed ] && log_tail=$(tail -n 30 "$LOG" 2> /dev/null | redact)
  log "phase=$phase $message"
  if ! command -v aws > /dev/null || [ -z "${INSTANCE_ID:-}" ]; then
    return 0
  fi
  json=$(PHASE="$phase" MESSAGE="$message" TAIL="$log_tail" \
    VERSION="${INSTALLED_VERSION:-$KUBERNETES_VERSION}" STEP="$STEP" INSTANCE_ID="$INSTANCE_ID" ROLE="$ROLE" \
    python3 - << 'PY'
import datetime, json, os
doc = {
    "instanceId": os.environ["INSTANCE_ID"], "role": os.environ["ROLE"], "phase": os.environ["PHASE"],
    "step": os.environ["STEP"], "kubernetesVersion": os.environ["VERSION"],
    "updatedAt": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "message": os.environ["MESSAGE"][:600], "logTail": os.environ["TAIL"],
}
# A builder adds its runtime versions when it is done; bake tags the image with them.
for key, var in (("containerdVersion", "REPORT_CONTAINERD_VERSION"), ("dockerVersion", "REPORT_DOCKER_VERSION")):
    if os.environ.get(var):
        doc[key] = os.environ[var]
while len(json.dumps(doc).encode()) > 4096:
    doc["logTail"] = doc["logTail"][200:]
print(json.dumps(doc))
PY
  )
  echo "$json" | redact > "$RUN_DIR/nodeimager-status.json"
  aws ssm put-parameter --name "${STATUS_PATH}${INSTANCE_ID}" --type String --overwrite \
    --value "file://$RUN_DIR/nodeimager-status.json" > /dev/null || log "could not publish status"
}

step() { STEP=$1; log "step $1"; }

on_error() {
  local code=$? line=$1
  # errtrace hands the trap to $(...) subshells too: let them just fail, the main shell reports once.
  [ "$BASHPID" = "$$" ] || exit "$code"
  trap - ERR
  log "failed at line $line with exit code $code"
  # The last lines (kubeadm's error) may still be in tee's pipe: get them into the file before the tail is read,
  # then log again for the report, and flush once more so the log is complete when the script ends.
  if [ -n "${LOG_WRITER:-}" ]; then
    flush_log
    start_log
  fi
  report failed "step $STEP failed (exit $code, line $line)"
  flush_log
  exit "$code"
}

begin() {
  set -eEuo pipefail
  start_log
  trap 'on_error $LINENO' ERR
  step identity
  load_identity
}
