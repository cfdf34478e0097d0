#!/bin/bash
# Golden image builder: the same install steps, then pre-pull images, write the marker, clean up, power off.
# shellcheck source=/dev/null
. /usr/local/lib/nodeimager/lib.sh
# shellcheck source=/dev/null
. /usr/local/lib/nodeimager/steps.sh
prepare_node
report installing
install_apt_repos
install_containerd
install_docker
install_kubernetes

# Nodes with the firewall on would otherwise install firewalld at boot; the image ships it switched off, so nodes
# with the firewall off are not affected.
step firewall-package
apt_install firewalld
systemctl disable --now firewalld

# shellcheck source=/dev/null
. /etc/nodeimager/recipe.env
if [ -n "$RECIPE_PACKAGES" ]; then
  step recipe-packages
  # shellcheck disable=SC2086 # a space-separated list of package names (validated by the recipe reader)
  apt_install $RECIPE_PACKAGES
fi

step pre-pull
if [ "$PRE_PULL_CONTROL_PLANE" = true ]; then
  kubeadm config images pull --kubernetes-version "v$INSTALLED_VERSION" --cri-socket unix:///run/containerd/containerd.sock
fi
if [ "$PRE_PULL_FLANNEL" = true ]; then
  curl -fsSL -o /etc/nodeimager/kube-flannel.yml "https://github.com/flannel-io/flannel/releases/download/${FLANNEL_VERSION}/kube-flannel.yml"
  grep -oE 'image: *[^ ]+' /etc/nodeimager/kube-flannel.yml | awk '{print $2}' | sort -u | while read -r image; do
    ctr --namespace k8s.io images pull "$image"
  done
fi
for image in $RECIPE_IMAGES; do
  # crictl resolves short names (busybox:1.36) the way kubelet does; ctr needs fully qualified ones.
  crictl --runtime-endpoint unix:///run/containerd/containerd.sock pull "$image"
done

step marker
report imaging "writing the golden marker and cleaning up"
DOCKER_VERSION=$(dpkg-query -W -f='${Version}' docker-ce 2> /dev/null || echo none) KUBEADM="$INSTALLED_VERSION" \
CONTAINERD_VERSION="$CONTAINERD_VERSION" KUBELET=$(kubelet --version | awk '{print $2}') \
KUBECTL=$(kubectl version --client -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])') \
IMAGES=$(crictl --runtime-endpoint unix:///run/containerd/containerd.sock images -o json | python3 -c 'import json,sys; print("\n".join(t for i in json.load(sys.stdin)["images"] for t in i.get("repoTags", [])))') \
python3 - > /etc/nodeimager/golden.json << 'PY'
import json, os
strip = lambda v: v[1:] if v.startswith("v") else v
print(json.dumps({
    "recipe": os.environ["GOLDEN_RECIPE"], "recipeHash": os.environ["GOLDEN_RECIPE_HASH"],
    "kubelet": strip(os.environ["KUBELET"]), "kubeadm": os.environ["KUBEADM"],
    "kubectl": strip(os.environ["KUBECTL"]), "containerd": strip(os.environ["CONTAINERD_VERSION"]),
    "docker": os.environ["DOCKER_VERSION"], "images": sorted(filter(None, os.environ["IMAGES"].split("\n"))),
}, indent=2))
PY

step cleanup
REPORT_CONTAINERD_VERSION="$CONTAINERD_VERSION"
REPORT_DOCKER_VERSION=$(dpkg-query -W -f='${Version}' docker-ce 2> /dev/null || true)
export REPORT_CONTAINERD_VERSION REPORT_DOCKER_VERSION
report "done" "image ready: recipe ${GOLDEN_RECIPE} (${GOLDEN_RECIPE_HASH}), Kubernetes ${INSTALLED_VERSION}"
apt-get clean
rm -rf /var/lib/apt/lists/*
rm -f /etc/ssh/ssh_host_*
cloud-init clean --logs --machine-id
find /var/log -type f -name '*.log' -exec truncate -s 0 {} +
systemctl poweroff --no-block
