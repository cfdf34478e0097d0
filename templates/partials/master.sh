#!/bin/bash
# Control plane: prepare, install, open the firewall, kubeadm init, flannel, publish the join material.
# shellcheck source=/dev/null
. /usr/local/lib/nodeimager/lib.sh
# shellcheck source=/dev/null
. /usr/local/lib/nodeimager/steps.sh
prepare_node
install_node
open_firewall

step kubeadm-config
report initialising "$STATUS_NOTE"
umask 077
# The bootstrap token is made here, at boot, and lives only in 0600 files: never in user-data.
TOKEN=$(kubeadm token generate)
write_init_config "$TOKEN" /etc/nodeimager/kubeadm-init.yaml

step kubeadm-init
# kubeadm prints the join command with the token: keep its output in a root-only file.
if ! kubeadm init --config /etc/nodeimager/kubeadm-init.yaml > /var/log/nodeimager-kubeadm-init.log 2>&1; then
  redact < /var/log/nodeimager-kubeadm-init.log | tail -n 30
  false
fi
umask 022
export KUBECONFIG=/etc/kubernetes/admin.conf
install -d -m 0700 /root/.kube
install -m 0600 /etc/kubernetes/admin.conf /root/.kube/config

step flannel
curl -fsSL -o /etc/nodeimager/kube-flannel.yml "https://github.com/flannel-io/flannel/releases/download/${FLANNEL_VERSION}/kube-flannel.yml"
set_flannel_network /etc/nodeimager/kube-flannel.yml
kubectl apply -f /etc/nodeimager/kube-flannel.yml

step publish-join
/usr/local/lib/nodeimager/publish-join.sh "$TOKEN"
systemctl daemon-reload
systemctl enable --now nodeimager-join-refresh.timer

step ready
kubectl wait --for=condition=Ready "node/$(hostname)" --timeout=10m || STATUS_NOTE="$STATUS_NOTE node not Ready after 10m."
report ready "Kubernetes ${INSTALLED_VERSION} control plane up.${STATUS_NOTE}"
