#!/bin/sh
# A throwaway OpenSSH server on 127.0.0.1 for trying `nodeimager ssh/logs` by hand (the tests start their own:
# tests/NodeImager.Core.Tests/Remote/TestSshd.cs).
#   sshd.sh start DIR PORT [PUBLIC_KEY_FILE]   host key + client key (DIR/client_key) generated on first start;
#                                              PUBLIC_KEY_FILE is authorized as well, if given
#   sshd.sh stop DIR
#   sshd.sh status DIR
set -eu

usage() {
  echo "usage: $0 start DIR PORT [PUBLIC_KEY_FILE] | stop DIR | status DIR" >&2
  exit 2
}

[ $# -ge 2 ] || usage
command=$1
dir=$2

case "$command" in
  start)
    [ $# -ge 3 ] || usage
    port=$3
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ -f "$dir/host_key" ] || ssh-keygen -q -t ed25519 -N "" -C sshd-host -f "$dir/host_key"
    [ -f "$dir/client_key" ] || ssh-keygen -q -t ed25519 -N "" -C sshd-client -f "$dir/client_key"
    cat "$dir/client_key.pub" > "$dir/authorized_keys"
    if [ $# -ge 4 ]; then
      cat "$4" >> "$dir/authorized_keys"
    fi
    cat > "$dir/sshd_config" <<CONFIG
ListenAddress 127.0.0.1
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
PidFile $dir/sshd.pid
CONFIG
    # sshd refuses to start without its privilege separation directory.
    [ -d /run/sshd ] || mkdir -m 0755 /run/sshd
    /usr/sbin/sshd -f "$dir/sshd_config" -p "$port" -E "$dir/sshd.log"
    i=0
    while [ ! -s "$dir/sshd.pid" ]; do
      i=$((i + 1))
      if [ "$i" -gt 50 ]; then
        echo "sshd did not start; see $dir/sshd.log" >&2
        exit 1
      fi
      sleep 0.1
    done
    echo "sshd on 127.0.0.1:$port (pid $(cat "$dir/sshd.pid")); key $dir/client_key"
    ;;
  stop)
    if [ -s "$dir/sshd.pid" ]; then
      kill "$(cat "$dir/sshd.pid")" 2>/dev/null || true
      rm -f "$dir/sshd.pid"
    fi
    ;;
  status)
    if [ -s "$dir/sshd.pid" ] && kill -0 "$(cat "$dir/sshd.pid")" 2>/dev/null; then
      echo "running (pid $(cat "$dir/sshd.pid"))"
    else
      echo "stopped"
      exit 1
    fi
    ;;
  *)
    usage
    ;;
esac
