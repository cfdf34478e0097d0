#!/bin/bash
# Sourced by every stand-in (installed in a simulated node as /usr/local/lib/sim/standin.sh).
# A stand-in replaces a tool that cannot run in a chroot (package managers, systemd, kubeadm...). Each one records its
# call, checks its arguments strictly and fails the way the real tool would: a stand-in that accepts anything proves
# nothing.
# Settings come from /etc/sim/node.env (written by the simulator, never visible to the node's scripts as environment)
# and the cluster-wide /run/sim-cluster (what the API server would know: tokens, CA, endpoint, simulated clock).

SIM_NAME=$(basename "$0")
SIM_SHARED=/run/sim-cluster
SIM_STATE=/var/lib/sim
# shellcheck source=/dev/null
[ -f /etc/sim/node.env ] && . /etc/sim/node.env
mkdir -p "$SIM_STATE"

# One line per call: the tool and its argv, each word quoted so spaces stay visible.
sim_record() {
  local line
  line=$(printf '%q ' "$SIM_NAME" "$@")
  printf '%s %s\n' "$(date -u +%FT%TZ)" "${line% }" >> /var/log/standins.log
}

sim_fail() {
  local code=$1
  shift
  printf '%s\n' "$*" >&2
  printf '%s   -> FAILED (%s): %s\n' "$(date -u +%FT%TZ)" "$code" "$*" >> /var/log/standins.log
  exit "$code"
}

# sim_delay NAME: the realistic duration of a step, when the benchmark asks for it (zero in tests).
sim_delay() {
  local var="SIM_DELAY_${1^^}"
  var=${var//-/_}
  local seconds=${!var:-0}
  [ "$seconds" = 0 ] || sleep "$seconds"
}

# sim_should_fail OP: the test asked this operation to fail (SIM_FAIL is a space-separated list like "kubeadm-init").
sim_should_fail() {
  case " ${SIM_FAIL:-} " in *" $1 "*) return 0 ;; esac
  return 1
}

# The simulated clock: real time plus the cluster-wide offset a test sets to make tokens age.
sim_now() {
  local offset=0
  [ -f "$SIM_SHARED/clock-offset" ] && offset=$(cat "$SIM_SHARED/clock-offset")
  echo $(($(date +%s) + offset))
}

sim_installed() { [ -f "$SIM_STATE/installed/$1" ]; }

sim_require_installed() {
  sim_installed "$1" || sim_fail 127 "$SIM_NAME: command not found (package $1 is not installed)"
}

sim_record "$@"
sim_delay "$SIM_NAME"
