#!/bin/bash
# Worker: prepare, install, open the firewall, wait for the master's join material, kubeadm join.
# shellcheck source=/dev/null
. /usr/local/lib/nodeimager/lib.sh
# shellcheck source=/dev/null
. /usr/local/lib/nodeimager/steps.sh
prepare_node
install_node
open_firewall

step wait-for-join
report joining "waiting for $JOIN_PARAMETER.$STATUS_NOTE"
umask 077
wait_for_join_material /run/nodeimager-join.json

step kubeadm-join
write_join_config /run/nodeimager-join.json /etc/nodeimager/kubeadm-join.yaml
rm -f /run/nodeimager-join.json
if ! kubeadm join --config /etc/nodeimager/kubeadm-join.yaml > /var/log/nodeimager-kubeadm-join.log 2>&1; then
  redact < /var/log/nodeimager-kubeadm-join.log | tail -n 30
  false
fi
umask 022

step ready
report ready "Kubernetes ${INSTALLED_VERSION} worker joined.${STATUS_NOTE}"
