#!/usr/bin/env bash
# The AWS emulator: moto's server (Debian trixie's python3-moto) inside the trixie chroot, on 127.0.0.1.
#   tests/tools/emulator.sh start [PORT]   start it (default port 5000, or NODEIMAGER_EMULATOR_PORT) and wait until it answers
#   tests/tools/emulator.sh stop  [PORT]   stop it
#   tests/tools/emulator.sh status [PORT]  exit 0 when it answers
# Extra environment for moto (e.g. INITIAL_NO_AUTH_ACTION_COUNT=5 to switch on signature checks) is passed through.
# The tool reaches it only as AWS_ENDPOINT_URL=http://127.0.0.1:PORT, the same override real tools honour.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
action="${1:-status}"
port="${2:-${NODEIMAGER_EMULATOR_PORT:-5000}}"
state="${NODEIMAGER_EMULATOR_STATE:-/tmp/nodeimager-emulator-$port}"
url="http://127.0.0.1:$port"

answers() { curl -fsS -o /dev/null --max-time 2 "$url/moto-api/" 2>/dev/null; }

case "$action" in
  start)
    if answers; then echo "$url"; exit 0; fi
    root="$("$here/chroot.sh")"
    mkdir -p "$state"
    mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
    # moto's image list (a snapshot of real AMIs) predates Ubuntu 24.04. Seed it with moto's own list plus one image
    # per Ubuntu release the recipes use, named and owned as Canonical publishes them, so `up` without --ami takes
    # its real fallback lookup (DescribeImages by owner and name). Canonical's SSM parameter cannot be seeded: moto
    # reserves /aws names.
    amis="/tmp/moto-amis-$port.json"
    chroot "$root" env -i PATH=/usr/bin:/bin python3 - "$amis" <<'PY'
import gzip, json, os, sys
import moto.ec2
with gzip.open(os.path.join(os.path.dirname(moto.ec2.__file__), "resources", "amis.json.gz")) as f:
    amis = json.load(f)
for release, codename, ami_id in (("24.04", "noble", "ami-02404000000000001"), ("26.04", "resolute", "ami-02604000000000001")):
    amis.append({
        "ami_id": ami_id, "state": "available", "public": True, "owner_id": "099720109477",
        "image_location": "amazon/getting-started", "sriov": "simple", "root_device_type": "ebs",
        "root_device_name": "/dev/sda1", "image_type": "machine", "platform": None, "architecture": "x86_64",
        "virtualization_type": "hvm", "hypervisor": "xen", "creation_date": "2026-11-01T00:00:00.000Z",
        "description": f"Canonical, Ubuntu, {release}, amd64 {codename} image (emulator seed)",
        "name": f"ubuntu/images/hvm-ssd-gp3/ubuntu-{codename}-{release}-amd64-server-20261101",
    })
with open(sys.argv[1], "w") as f:
    json.dump(amis, f)
PY
    # setsid: its own process group, so stop can end moto and anything it started.
    setsid chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/bin HOME=/root \
      MOTO_ALLOW_NONEXISTENT_REGION=true MOTO_RECORDER_FILEPATH="/tmp/moto-recording-$port.jsonl" MOTO_AMIS_PATH="$amis" \
      ${INITIAL_NO_AUTH_ACTION_COUNT:+INITIAL_NO_AUTH_ACTION_COUNT=$INITIAL_NO_AUTH_ACTION_COUNT} \
      moto_server -H 127.0.0.1 -p "$port" >"$state/moto.log" 2>&1 < /dev/null &
    echo $! > "$state/pid"
    for _ in $(seq 1 150); do
      if answers; then echo "$url"; exit 0; fi
      if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then break; fi
      sleep 0.2
    done
    echo "emulator.sh: moto did not answer on $url; its log:" >&2
    tail -20 "$state/moto.log" >&2 || true
    exit 1
    ;;
  stop)
    if [[ -f "$state/pid" ]]; then
      pid="$(cat "$state/pid")"
      kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$state/pid"
    fi
    ;;
  status)
    answers && echo "$url"
    ;;
  *)
    echo "usage: emulator.sh start|stop|status [PORT]" >&2
    exit 2
    ;;
esac
