#!/usr/bin/env bash
# Benchmark: `up --no-wait` then `down` of a 50-worker and a 3-worker cluster against the AWS emulator.
# Prints wall times, the tool's peak memory (max RSS, GNU time) and the AWS requests by action, as counted by nodeimager (--stats) and, as a cross-check, as
# recorded by the emulator. Launch calls must not grow with the worker count (one RunInstances per role).
#   tests/benchmarks/up-down.sh [WORKERS...]    default: 50 3
# Env: NODEIMAGER_BENCH_PORT (default 5400), NODEIMAGER_BENCH_CONFIGURATION (default Release).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
port="${NODEIMAGER_BENCH_PORT:-5400}"
configuration="${NODEIMAGER_BENCH_CONFIGURATION:-Release}"
endpoint="http://127.0.0.1:$port"
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(50 3)

root="$("$repo/tests/tools/chroot.sh")"
work="$(mktemp -d)"
cleanup() {
  "$repo/tests/tools/emulator.sh" stop "$port" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "Building nodeimager ($configuration)..."
dotnet build "$repo/src/NodeImager/NodeImager.csproj" -c "$configuration" -v quiet -nologo >/dev/null
cli="$repo/src/NodeImager/bin/$configuration/net10.0/nodeimager"

"$repo/tests/tools/emulator.sh" start "$port" >/dev/null

export AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
export NODEIMAGER_HOME="$work/home" HOME="$work"
unset AWS_PROFILE AWS_DEFAULT_REGION

aws_cli() {
  chroot "$root" env -i PATH=/usr/bin:/bin HOME=/root AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=x \
    AWS_SECRET_ACCESS_KEY=y AWS_DEFAULT_REGION=us-east-1 aws "$@"
}

# The emulator's recording, one JSON object a line, counted by action (python3 from the chroot, as moto needs it).
recorded_counts() {
  curl -fsS "$endpoint/moto-api/recorder/download-recording" | chroot "$root" python3 -c '
import sys, json, base64, urllib.parse, collections
counts = collections.Counter()
for line in sys.stdin:
    if not line.strip():
        continue
    r = json.loads(line)
    headers = {k.lower(): v for k, v in r.get("headers", {}).items()}
    body = r.get("body") or ""
    if r.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    if "x-amz-target" in headers:
        action = headers["x-amz-target"].split(".")[-1]
    else:
        action = urllib.parse.parse_qs(body).get("Action", ["?"])[0]
    counts[action] += 1
print("  total", sum(counts.values()))
for action, n in sorted(counts.items()):
    print("  " + action, n)
'
}

run() { # label, then the command; prints wall time, the tool's counts and the emulator's
  local label="$1"; shift
  curl -fsS -X POST "$endpoint/moto-api/recorder/reset-recording" >/dev/null
  curl -fsS -X POST "$endpoint/moto-api/recorder/start-recording" >/dev/null
  local start end code=0
  start=$(date +%s.%N)
  local peak="n/a (no /usr/bin/time)"
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -o "$work/rss.txt" -f %M "$@" --stats >"$work/out.txt" 2>&1 || code=$?
    peak="$(( $(tail -n 1 "$work/rss.txt") / 1024 )) MiB"
  else
    "$@" --stats >"$work/out.txt" 2>&1 || code=$?
  fi
  end=$(date +%s.%N)
  curl -fsS -X POST "$endpoint/moto-api/recorder/stop-recording" >/dev/null
  printf '\n== %s: exit %s, wall %.2f s, peak memory (max RSS) %s\n' "$label" "$code" "$(echo "$end - $start" | bc)" "$peak"
  if [[ $code -ne 0 ]]; then cat "$work/out.txt"; exit 1; fi
  echo "counted by nodeimager (--stats):"
  sed -n '/^AWS requests:/,$p' "$work/out.txt"
  echo "recorded by the emulator:"
  recorded_counts
}

echo "Emulator $endpoint; up without --ami: Canonical's 24.04 image found by owner and name (no public parameter here)"

for workers in "${sizes[@]}"; do
  curl -fsS -X POST "$endpoint/moto-api/reset" >/dev/null
  name="bench-$workers"
  run "up --workers $workers --no-wait" "$cli" up --name "$name" --workers "$workers" --no-wait --admin-cidr 203.0.113.7/32
  # One poll of what a waiting up does per round: DescribeInstances + the status path (10 parameters a page).
  run "status $name" "$cli" status "$name" --output json
  run "down $name" "$cli" down "$name" --poll-interval 1
  left="$(aws_cli ec2 describe-instances --filters "Name=tag:nodeimager:cluster,Values=$name" \
    "Name=instance-state-name,Values=pending,running,stopping,stopped,shutting-down" --query 'length(Reservations[].Instances[])' --output text)"
  echo "instances of $name left after down (real aws CLI): $left"
done
