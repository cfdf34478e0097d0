#!/bin/bash
# shellcheck disable=SC2034 # the scripts that source this file read these variables
# The install steps every role shares, written once. Sourced after lib.sh.

wait_for_apt() {
  # First boot races apt-daily/unattended-upgrades for the dpkg lock: stop them, then wait for the lock.
  systemctl stop apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service unattended-upgrades.service 2> /dev/null || true
  local waited=0
  while fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock > /dev/null 2>&1; do
    [ "$waited" -ge 600 ] && { log "dpkg lock still held after ${waited}s"; return 1; }
    sleep 5
    waited=$((waited + 5))
  done
}

apt_install() {
  wait_for_apt
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold "$@"
}

host_prep() {
  step host-prep
  swapoff -a
  sed -i -E '/^[^#].*[[:space:]]swap[[:space:]]/s/^/# nodeimager: /' /etc/fstab
  printf 'overlay\nbr_netfilter\n' > /etc/modules-load.d/nodeimager-k8s.conf
  modprobe overlay
  modprobe br_netfilter
  printf 'net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\n' > /etc/sysctl.d/90-nodeimager-k8s.conf
  sysctl --system > /dev/null
  [ "$(sysctl -n net.ipv4.ip_forward)" = 1 ]
}

# Every node script starts the same way: log and failure trap, identity from IMDSv2, first report, host
# prerequisites, and the aws CLI that every later report needs.
prepare_node() {
  begin
  report booting
  host_prep
  install_aws_cli
}

install_aws_cli() {
  step aws-cli
  command -v aws > /dev/null && return 0
  snap install aws-cli --classic
  hash -r
}

install_apt_repos() {
  step apt-repos
  wait_for_apt
  apt-get update -q
  apt_install ca-certificates curl gnupg
  install -d -m 0755 /etc/apt/keyrings
  # Keys are fetched at boot: an embedded copy would expire (kubernetes/release#3818).
  curl -fsSL "https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/Release.key" | gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
  echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/ /" > /etc/apt/sources.list.d/kubernetes.list
  curl -fsSL https://download.docker.com/linux/ubuntu/gpg | gpg --batch --yes --dearmor -o /etc/apt/keyrings/docker.gpg
  local codename
  # shellcheck source=/dev/null
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.gpg] https://download.docker.com/linux/ubuntu ${codename} stable" > /etc/apt/sources.list.d/docker.list
  apt-get update -q
}

install_containerd() {
  step containerd
  apt_install containerd.io
  local version major
  version=$(containerd --version | awk '{print $3}')
  major=${version#v}
  major=${major%%.*}
  if [ "$major" -lt "$MIN_CONTAINERD_MAJOR" ]; then
    log "containerd $version is too old: Kubernetes $KUBERNETES_MINOR with config version 3 needs containerd ${MIN_CONTAINERD_MAJOR}.x or newer"
    return 1
  fi
  # containerd.io ships disabled_plugins = ["cri"]; this file replaces it whole.
  install -m 0644 /usr/local/lib/nodeimager/containerd-config.toml /etc/containerd/config.toml
  if grep -q '^ *disabled_plugins' /etc/containerd/config.toml || ! grep -q '^ *SystemdCgroup = true' /etc/containerd/config.toml; then
    log "containerd config is not what NodeImager wrote"
    return 1
  fi
  systemctl restart containerd
  systemctl enable containerd
  CONTAINERD_VERSION=$version
}

install_docker() {
  [ "$DOCKER" = true ] || return 0
  step docker
  install -d -m 0755 /etc/docker
  printf '{\n  "exec-opts": ["native.cgroupdriver=systemd"]\n}\n' > /etc/docker/daemon.json
  apt_install docker-ce docker-ce-cli
  systemctl enable --now docker
}

install_kubernetes() {
  step kubernetes-packages
  local version=$PACKAGE_VERSION
  if [ -z "$version" ]; then
    version=$(apt-cache madison kubeadm | awk '{print $3}' | grep -E "^${KUBERNETES_MINOR//./\\.}\." | sort -V | tail -n 1)
    [ -n "$version" ] || { log "no kubeadm ${KUBERNETES_MINOR}.x in the package repository"; return 1; }
    log "newest patch of ${KUBERNETES_MINOR}: $version"
  fi
  apt_install "kubelet=$version" "kubeadm=$version" "kubectl=$version"
  apt-mark hold kubelet kubeadm kubectl
  systemctl enable kubelet
  INSTALLED_VERSION=$(kubeadm version -o short)
  INSTALLED_VERSION=${INSTALLED_VERSION#v}
  check_sandbox_image
}

check_sandbox_image() {
  local expected
  expected=$(kubeadm config images list --kubernetes-version "v$INSTALLED_VERSION" 2> /dev/null | grep '/pause:' || true)
  if [ -n "$expected" ] && [ "$expected" != "$SANDBOX_IMAGE" ]; then
    STATUS_NOTE="$STATUS_NOTE containerd sandbox image $SANDBOX_IMAGE differs from kubeadm's $expected."
    log "$STATUS_NOTE"
  fi
}

# golden_matches: the image's marker names the expected recipe hash and Kubernetes version.
golden_matches() {
  local marker=${GOLDEN_MARKER:-/etc/nodeimager/golden.json}
  [ -n "$GOLDEN_RECIPE_HASH" ] && [ -f "$marker" ] || return 1
  python3 - "$marker" "$GOLDEN_RECIPE_HASH" "$GOLDEN_KUBERNETES_VERSION" << 'PY'
import json, sys
marker = json.load(open(sys.argv[1]))
expected_hash, expected_version = sys.argv[2], sys.argv[3]
version = marker.get("kubelet", "")
ok = marker.get("recipeHash") == expected_hash and (version == expected_version or version.startswith(expected_version + "."))
sys.exit(0 if ok else 1)
PY
}

install_node() {
  if [ -n "$GOLDEN_RECIPE_HASH" ]; then
    step golden-check
    if golden_matches; then
      INSTALLED_VERSION=$(kubeadm version -o short)
      INSTALLED_VERSION=${INSTALLED_VERSION#v}
      check_sandbox_image
      STATUS_NOTE="$STATUS_NOTE golden image $GOLDEN_RECIPE matches; install skipped."
      report installing "$STATUS_NOTE"
      return 0
    fi
    STATUS_NOTE="$STATUS_NOTE golden image marker does not match recipe $GOLDEN_RECIPE ($GOLDEN_RECIPE_HASH, Kubernetes $GOLDEN_KUBERNETES_VERSION); installing as a stock node."
  fi
  report installing "$STATUS_NOTE"
  install_apt_repos
  install_containerd
  install_docker
  install_kubernetes
}

open_firewall() {
  [ "$FIREWALL" = true ] || return 0
  step firewall
  # Done before kubeadm and flannel: a reload wipes the rules flannel adds (flannel#1834).
  if ! command -v firewall-cmd > /dev/null; then
    # Golden images ship firewalld; an image without it skipped the install steps, so refresh the lists first.
    wait_for_apt
    apt-get update -q
    apt_install firewalld
  fi
  systemctl enable --now firewalld
  local port
  for port in $FIREWALL_PORTS; do
    firewall-cmd --permanent --add-port="$port"
  done
  firewall-cmd --permanent --add-masquerade
  firewall-cmd --permanent --zone=trusted --add-source="$POD_CIDR"
  firewall-cmd --permanent --zone=trusted --add-interface=cni0
  firewall-cmd --permanent --zone=trusted --add-interface=flannel.1
  firewall-cmd --reload
  # The reload also drops Docker's NAT rules; Docker writes them again when it starts.
  if [ "$DOCKER" = true ] && systemctl is-active --quiet docker; then
    systemctl restart docker
  fi
}

# set_flannel_network MANIFEST: flanneld refuses a pod CIDR outside net-conf.json's Network.
set_flannel_network() {
  sed -i -E "s|\"Network\": *\"[^\"]*\"|\"Network\": \"${POD_CIDR}\"|" "$1"
  grep -q "\"Network\": \"${POD_CIDR}\"" "$1"
}

# write_init_config TOKEN OUT: the kubeadm init config with this node's addresses; 0600, it holds the token.
write_init_config() {
  local sans host
  host=$(hostname)
  sans="  - \"${PRIVATE_IP}\"\n  - \"${host}\""
  [ -z "$PUBLIC_IP" ] || sans="$sans\n  - \"${PUBLIC_IP}\""
  (
    umask 077
    sed -e "s|@TOKEN@|$1|" -e "s|@PRIVATE_IP@|${PRIVATE_IP}|g" -e "s|@HOSTNAME@|${host}|" \
      -e "s|@KUBERNETES_VERSION@|v${INSTALLED_VERSION}|" -e "s|^  - \"@CERT_SANS@\"|${sans}|" \
      "${NODEIMAGER_LIB:-/usr/local/lib/nodeimager}/kubeadm-init.yaml" > "$2"
  )
  chmod 0600 "$2"
}

# write_join_config JOIN_JSON OUT: the kubeadm join config from the published join material; 0600.
write_join_config() {
  (
    umask 077
    python3 - "$1" "${NODEIMAGER_LIB:-/usr/local/lib/nodeimager}/kubeadm-join.yaml" > "$2" << 'PY'
import json, sys
join = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
for key, value in (("@ENDPOINT@", join["endpoint"]), ("@TOKEN@", join["token"]), ("@CA_CERT_HASH@", join["caCertHash"])):
    text = text.replace(key, value)
print(text, end="")
PY
  )
  chmod 0600 "$2"
}

# ca_cert_hash CERT: what kubeadm join checks, sha256 of the DER public key (SubjectPublicKeyInfo).
ca_cert_hash() {
  local hex
  hex=$(openssl x509 -pubkey -noout -in "$1" | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex)
  echo "sha256:${hex##* }"
}

# wait_for_join_material OUT: polls the join parameter until JOIN_TIMEOUT_SECONDS run out. Many workers share the
# parameter store's throughput quota, so waits grow 5s -> 60s (doubling) with +-30% jitter.
wait_for_join_material() {
  local deadline delay=5
  deadline=$(( $(date +%s) + JOIN_TIMEOUT_SECONDS ))
  until aws ssm get-parameter --name "$JOIN_PARAMETER" --with-decryption --query Parameter.Value --output text > "$1" 2> /dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "no join material at $JOIN_PARAMETER after ${JOIN_TIMEOUT_SECONDS}s"
      return 1
    fi
    sleep $(( delay * (70 + RANDOM % 61) / 100 ))
    delay=$(( delay * 2 > 60 ? 60 : delay * 2 ))
  done
}
