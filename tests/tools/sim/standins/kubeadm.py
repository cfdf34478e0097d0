"""The kubeadm stand-in's logic (installed as /usr/local/lib/sim/kubeadm.py, run by the kubeadm wrapper).

It checks what the real kubeadm and the real cluster would check, and fails with kubeadm-like messages:
- configuration: kubeadm.k8s.io/v1beta4 documents only, known fields only, v1beta4 shapes (extraArgs as lists),
  the pod and service CIDRs the cluster was specified with;
- preflight: kubelet installed, ip_forward=1, swap off, containerd configured with CRI enabled and SystemdCgroup;
- init: a real CA (openssl), admin.conf, bootstrap tokens recorded with their expiry where workers' kubeadm can see
  them (/run/sim-cluster stands for the API server's knowledge);
- join: endpoint, a token the master created that has not expired on the simulated clock, and the CA pinned by the
  sha256 of its DER public key, computed with openssl exactly as kubeadm's docs do.
"""

import base64
import glob
import json
import os
import re
import secrets
import string
import subprocess
import sys
import time
import tomllib

import yaml

SHARED = "/run/sim-cluster"
STATE = "/var/lib/sim"
PKI = "/etc/kubernetes/pki"
TOKEN = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")
KUBEADM_API = "kubeadm.k8s.io/v1beta4"

# v1beta4 fields (k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go).
FIELDS = {
    "InitConfiguration": {"apiVersion", "kind", "bootstrapTokens", "dryRun", "nodeRegistration", "localAPIEndpoint",
                          "certificateKey", "skipPhases", "patches", "timeouts"},
    "ClusterConfiguration": {"apiVersion", "kind", "etcd", "networking", "kubernetesVersion", "controlPlaneEndpoint",
                             "apiServer", "controllerManager", "scheduler", "dns", "proxy", "certificatesDir",
                             "imageRepository", "featureGates", "clusterName", "encryptionAlgorithm",
                             "certificateValidityPeriod", "caCertificateValidityPeriod"},
    "JoinConfiguration": {"apiVersion", "kind", "dryRun", "nodeRegistration", "caCertPath", "discovery",
                          "controlPlane", "skipPhases", "patches", "timeouts"},
}
NODE_REGISTRATION = {"name", "criSocket", "taints", "kubeletExtraArgs", "ignorePreflightErrors", "imagePullPolicy",
                     "imagePullSerial"}
BOOTSTRAP_TOKEN = {"token", "description", "ttl", "expires", "usages", "groups"}
DISCOVERY = {"bootstrapToken", "file", "tlsBootstrapToken"}
DISCOVERY_TOKEN = {"token", "apiServerEndpoint", "caCertHashes", "unsafeSkipCAVerification"}
NETWORKING = {"serviceSubnet", "podSubnet", "dnsDomain"}
CONTROL_PLANE_COMPONENT = {"extraArgs", "extraVolumes", "extraEnvs"}
CRI_SOCKETS = {"unix:///var/run/containerd/containerd.sock", "unix:///run/containerd/containerd.sock"}


class KubeadmError(Exception):
    pass


def env(name, default=""):
    return os.environ.get(name, default)


def now():
    offset = 0
    path = os.path.join(SHARED, "clock-offset")
    if os.path.exists(path):
        offset = int(open(path).read().strip() or "0")
    return int(time.time()) + offset


def parse_duration(text):
    """Go's time.ParseDuration for the units kubeadm users write (h, m, s); "0" means never."""
    text = str(text).strip()
    if text == "0":
        return 0
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise KubeadmError(f'time: invalid duration "{text}"')
    factor = {"h": 3600, "m": 60, "s": 1}
    return int(sum(float(n) * factor[u] for n, u in parts))


def check_fields(where, value, allowed):
    if not isinstance(value, dict):
        raise KubeadmError(f"{where}: expected an object, got {type(value).__name__}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise KubeadmError(f'strict decoding error: unknown field "{where}.{unknown[0]}"')


def check_args(where, value):
    # v1beta4 made extraArgs/kubeletExtraArgs lists of {name, value} (kubernetes#125029).
    if value is None:
        return
    if not isinstance(value, list) or any(not isinstance(a, dict) or set(a) != {"name", "value"} for a in value):
        raise KubeadmError(f"json: cannot unmarshal object into Go struct field {where} of type []v1beta4.Arg")


def load_config(path, expected_kinds):
    if not os.path.isfile(path):
        raise KubeadmError(f"unable to read config from {path!r}: open {path}: no such file or directory")
    try:
        docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
    except yaml.YAMLError as e:
        raise KubeadmError(f"error converting YAML to JSON: {e}")
    found = {}
    for doc in docs:
        kind, api = doc.get("kind"), doc.get("apiVersion")
        if kind in FIELDS:
            if api != KUBEADM_API:
                raise KubeadmError(f'no kind "{kind}" is registered for version "{api}" (this kubeadm needs {KUBEADM_API})')
            check_fields(kind, doc, FIELDS[kind])
        elif kind == "KubeletConfiguration":
            if api != "kubelet.config.k8s.io/v1beta1":
                raise KubeadmError(f'no kind "{kind}" is registered for version "{api}"')
            if doc.get("cgroupDriver", "systemd") != "systemd":
                raise KubeadmError("KubeletConfiguration.cgroupDriver must be systemd to match containerd's SystemdCgroup")
        elif kind == "KubeProxyConfiguration":
            if api != "kubeproxy.config.k8s.io/v1alpha1":
                raise KubeadmError(f'no kind "{kind}" is registered for version "{api}"')
        else:
            raise KubeadmError(f'no kind "{kind}" is registered for version "{api}"')
        if kind in found:
            raise KubeadmError(f"found multiple {kind} documents")
        found[kind] = doc
    for kind in expected_kinds:
        if kind not in found:
            raise KubeadmError(f"{path}: no {kind} document")
    if "JoinConfiguration" in found and ("InitConfiguration" in found or "ClusterConfiguration" in found):
        raise KubeadmError("a JoinConfiguration cannot be mixed with InitConfiguration/ClusterConfiguration")
    for kind in ("InitConfiguration", "JoinConfiguration"):
        registration = found.get(kind, {}).get("nodeRegistration")
        if registration is not None:
            check_fields("nodeRegistration", registration, NODE_REGISTRATION)
            check_args("nodeRegistration.kubeletExtraArgs", registration.get("kubeletExtraArgs"))
            socket = registration.get("criSocket")
            if socket is not None and socket not in CRI_SOCKETS:
                raise KubeadmError(f"criSocket {socket} is not containerd's socket")
    return found


def installed_version():
    return open(os.path.join(STATE, "installed", "kubeadm")).read().strip()


def containerd_major():
    return int(env("SIM_CONTAINERD_VERSION", "2.1.5").split(".")[0])


def preflight(kind):
    errors = []
    if not os.path.exists(os.path.join(STATE, "installed", "kubelet")):
        errors.append("[ERROR FileExisting-kubelet]: kubelet not found in system path")
    forward = os.path.join(STATE, "sysctl", "net.ipv4.ip_forward")
    if not os.path.exists(forward) or open(forward).read().strip() != "1":
        errors.append("[ERROR FileContent--proc-sys-net-ipv4-ip_forward]: /proc/sys/net/ipv4/ip_forward contents are not set to 1")
    if not os.path.exists(os.path.join(STATE, "swapoff")):
        errors.append("[ERROR Swap]: running with swap on is not supported. Please disable swap")
    config = "/etc/containerd/config.toml"
    runtime_error = "[ERROR CRI]: container runtime is not running: output: rpc error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService"
    if not os.path.exists(os.path.join(STATE, "installed", "containerd.io")) or not os.path.exists(config):
        errors.append("[ERROR CRI]: container runtime is not running: dial unix /var/run/containerd/containerd.sock: connect: no such file or directory")
    else:
        try:
            toml = tomllib.load(open(config, "rb"))
        except tomllib.TOMLDecodeError as e:
            toml = None
            errors.append(f"[ERROR CRI]: containerd failed to start: invalid config {config}: {e}")
        if toml is not None:
            if "cri" in toml.get("disabled_plugins", []) or "io.containerd.grpc.v1.cri" in toml.get("disabled_plugins", []):
                errors.append(runtime_error)
            elif not os.path.exists(os.path.join(STATE, "systemd", "active-containerd.service")):
                errors.append("[ERROR CRI]: container runtime is not running (containerd was never (re)started after its config was written)")
            elif os.path.getmtime(config) > os.path.getmtime(os.path.join(STATE, "systemd", "active-containerd.service")):
                errors.append("[ERROR CRI]: containerd runs with an old config: config.toml changed after the last restart")
            else:
                errors += check_containerd(toml)
    if errors:
        text = "\n\t".join(errors)
        raise KubeadmError(f"[preflight] Some fatal errors occurred:\n\t{text}\n"
                           "[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`\n"
                           "error execution phase preflight: preflight checks failed")


def check_containerd(toml):
    """SystemdCgroup in the place the running containerd's config version reads it; the pause image pinned."""
    version = toml.get("version", 1)
    plugins = toml.get("plugins", {})
    if containerd_major() >= 2:
        if version != 3:
            return [f"[ERROR CRI]: containerd {env('SIM_CONTAINERD_VERSION', '2.1.5')} needs config version 3, found version = {version}"]
        runtime = plugins.get("io.containerd.cri.v1.runtime", {})
        options = runtime.get("containerd", {}).get("runtimes", {}).get("runc", {}).get("options", {})
        sandbox = plugins.get("io.containerd.cri.v1.images", {}).get("pinned_images", {}).get("sandbox")
    else:
        if version != 2:
            return [f"[ERROR CRI]: containerd 1.x needs config version 2, found version = {version}"]
        cri = plugins.get("io.containerd.grpc.v1.cri", {})
        options = cri.get("containerd", {}).get("runtimes", {}).get("runc", {}).get("options", {})
        sandbox = cri.get("sandbox_image")
    errors = []
    if options.get("SystemdCgroup") is not True:
        errors.append("[ERROR CRI]: runc's SystemdCgroup is not true where this containerd reads it: kubelet (cgroupDriver systemd) and the runtime disagree")
    expected = env("SIM_PAUSE_IMAGE")
    if expected and sandbox != expected:
        print(f'W1125 detected that the sandbox image "{sandbox}" of the container runtime is inconsistent with that used by kubeadm. It is recommended to use "{expected}" as the CRI sandbox image.', file=sys.stderr)
    return errors


def store_token(token, ttl_seconds, description=""):
    if not TOKEN.match(token):
        raise KubeadmError(f'the bootstrap token "{token}" was not of the form "\\A([a-z0-9]{{6}})\\.([a-z0-9]{{16}})\\z"')
    os.makedirs(os.path.join(SHARED, "tokens"), exist_ok=True)
    expires = 0 if ttl_seconds == 0 else now() + ttl_seconds
    token_id = token.split(".")[0]
    with open(os.path.join(SHARED, "tokens", token_id), "w") as f:
        json.dump({"token": token, "expires": expires, "createdBy": env("SIM_INSTANCE_ID"), "description": description}, f)
    return expires


def new_token():
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(6)) + "." + "".join(secrets.choice(alphabet) for _ in range(16))


def ca_hash(path):
    """sha256 of the DER-encoded public key of the CA certificate, as the kubeadm-join docs compute it."""
    pub = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in", path], check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub, check=True, capture_output=True).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-hex"], input=der, check=True, capture_output=True).stdout
    return "sha256:" + digest.decode().strip().split()[-1]


def register_node(name):
    """The Node object the kubelet registers: its name is nodeRegistration.name, else the host name."""
    name = name or env("SIM_HOSTNAME")
    if name != name.lower() or not re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", name):
        raise KubeadmError(f'nodeRegistration.name: Invalid value: "{name}": a lowercase RFC 1123 subdomain is required')
    os.makedirs(os.path.join(SHARED, "nodes"), exist_ok=True)
    with open(os.path.join(SHARED, "nodes", name), "w") as f:
        f.write(env("SIM_INSTANCE_ID"))


def require_admin_conf():
    if not os.path.exists("/etc/kubernetes/admin.conf"):
        raise KubeadmError('failed to load admin kubeconfig: open /etc/kubernetes/admin.conf: no such file or directory\n'
                           'To see the stack trace of this error execute with --v=5 or higher')


def options(args, flags_with_value, flags=()):
    """Splits "--name value", "--name=value" and plain arguments; unknown flags are errors."""
    values, positional, i = {}, [], 0
    while i < len(args):
        a = args[i]
        if a.startswith("--"):
            name, _, inline = a[2:].partition("=")
            if name in flags:
                values[name] = True
            elif name in flags_with_value:
                if inline:
                    values[name] = inline
                else:
                    i += 1
                    if i >= len(args):
                        raise KubeadmError(f"flag needs an argument: --{name}")
                    values[name] = args[i]
            else:
                raise KubeadmError(f"unknown flag: --{name}")
        elif a == "-f" and "force" in flags:
            values["force"] = True
        elif a == "-o" and "output" in flags_with_value:
            i += 1
            values["output"] = args[i]
        else:
            positional.append(a)
        i += 1
    return values, positional


def write_kubeconfig(path, server, user):
    ca = open(os.path.join(PKI, "ca.crt"), "rb").read()
    doc = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "kubernetes", "cluster": {"server": server, "certificate-authority-data": base64.b64encode(ca).decode()}}],
        "contexts": [{"name": f"{user}@kubernetes", "context": {"cluster": "kubernetes", "user": user}}],
        "current-context": f"{user}@kubernetes",
        "users": [{"name": user, "user": {"client-certificate-data": "c2ltdWxhdGVk", "client-key-data": "c2ltdWxhdGVk"}}],
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        yaml.safe_dump(doc, f)
    os.chmod(path, 0o600)


def init(args):
    values, positional = options(args, {"config", "skip-phases", "v"}, {"upload-certs", "skip-token-print"})
    if positional:
        raise KubeadmError(f'unknown command "{positional[0]}" for "kubeadm init"')
    if "config" not in values:
        raise KubeadmError("the simulator expects kubeadm init --config FILE (NodeImager writes its settings there)")
    docs = load_config(values["config"], ["InitConfiguration", "ClusterConfiguration"])
    init_doc, cluster = docs["InitConfiguration"], docs["ClusterConfiguration"]
    networking = cluster.get("networking") or {}
    check_fields("networking", networking, NETWORKING)
    if networking.get("podSubnet") != env("SIM_POD_CIDR"):
        raise KubeadmError(f"networking.podSubnet is {networking.get('podSubnet')!r}; this cluster's pod CIDR is {env('SIM_POD_CIDR')!r}")
    if env("SIM_SERVICE_CIDR") and networking.get("serviceSubnet", "10.96.0.0/12") != env("SIM_SERVICE_CIDR"):
        raise KubeadmError(f"networking.serviceSubnet is {networking.get('serviceSubnet')!r}; this cluster's service CIDR is {env('SIM_SERVICE_CIDR')!r}")
    version = installed_version()
    wanted = cluster.get("kubernetesVersion")
    if wanted is not None and str(wanted).lstrip("v") != version:
        raise KubeadmError(f"this version of kubeadm only supports deploying clusters with the control plane version >= v{version}. Current version: {wanted}")
    for component in ("apiServer", "controllerManager", "scheduler"):
        section = cluster.get(component)
        if section is not None:
            check_fields(component, section, CONTROL_PLANE_COMPONENT | ({"certSANs"} if component == "apiServer" else set()))
            check_args(f"{component}.extraArgs", section.get("extraArgs"))
    endpoint = init_doc.get("localAPIEndpoint") or {}
    advertise = endpoint.get("advertiseAddress", env("SIM_PRIVATE_IP"))
    if advertise != env("SIM_PRIVATE_IP"):
        raise KubeadmError(f"localAPIEndpoint.advertiseAddress {advertise} is not this node's address {env('SIM_PRIVATE_IP')}")
    tokens = init_doc.get("bootstrapTokens") or [{}]
    for t in tokens:
        check_fields("bootstrapTokens[]", t, BOOTSTRAP_TOKEN)
    if os.path.exists("/etc/kubernetes/manifests/kube-apiserver.yaml"):
        raise KubeadmError("[preflight] Some fatal errors occurred:\n\t[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]: /etc/kubernetes/manifests/kube-apiserver.yaml already exists")
    preflight("init")

    print(f"[init] Using Kubernetes version: v{version}")
    print("[preflight] Running pre-flight checks")
    print("[preflight] Pulling images required for setting up a Kubernetes cluster")
    print("[certs] Generating \"ca\" certificate and key")
    os.makedirs(PKI, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "3650",
                    "-subj", "/CN=kubernetes", "-keyout", os.path.join(PKI, "ca.key"), "-out", os.path.join(PKI, "ca.crt")],
                   check=True, capture_output=True)
    os.chmod(os.path.join(PKI, "ca.key"), 0o600)
    server = f"https://{advertise}:{endpoint.get('bindPort', 6443)}"
    print("[kubeconfig] Writing \"admin.conf\" kubeconfig file")
    write_kubeconfig("/etc/kubernetes/admin.conf", server, "kubernetes-admin")
    write_kubeconfig("/etc/kubernetes/super-admin.conf", server, "kubernetes-super-admin")
    write_kubeconfig("/etc/kubernetes/kubelet.conf", server, f"system:node:{env('SIM_HOSTNAME')}")
    os.makedirs("/etc/kubernetes/manifests", exist_ok=True)
    for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"):
        with open(f"/etc/kubernetes/manifests/{component}.yaml", "w") as f:
            f.write(f"# simulated static pod {component}\n")
    print("[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory \"/etc/kubernetes/manifests\"")
    print("[api-check] The API server is healthy after 8.5s")
    print("[bootstrap-token] Using token: <printed below>")
    printed = None
    for t in tokens:
        token = t.get("token") or new_token()
        ttl = parse_duration(t.get("ttl", "24h0m0s"))
        store_token(token, ttl, t.get("description", ""))
        printed = printed or token
    # What the API server now knows: the CA and where it listens.
    subprocess.run(["cp", os.path.join(PKI, "ca.crt"), os.path.join(SHARED, "ca.crt")], check=True)
    with open(os.path.join(SHARED, "endpoint"), "w") as f:
        f.write(f"{advertise}:{endpoint.get('bindPort', 6443)}")
    with open(os.path.join(SHARED, "pod-cidr"), "w") as f:
        f.write(networking["podSubnet"])
    register_node((init_doc.get("nodeRegistration") or {}).get("name"))
    print("[addons] Applied essential addon: CoreDNS")
    print("[addons] Applied essential addon: kube-proxy")
    print()
    print("Your Kubernetes control-plane has initialized successfully!")
    print()
    print("Then you can join any number of worker nodes by running the following on each as root:")
    print()
    if "skip-token-print" not in values:
        print(f"kubeadm join {advertise}:{endpoint.get('bindPort', 6443)} --token {printed} \\")
        print(f"\t--discovery-token-ca-cert-hash {ca_hash(os.path.join(PKI, 'ca.crt'))}")


def join(args):
    values, positional = options(args, {"config", "token", "discovery-token-ca-cert-hash", "v", "node-name"},
                                 {"discovery-token-unsafe-skip-ca-verification"})
    if "config" in values:
        if positional or "token" in values:
            raise KubeadmError("can not mix '--config' with arguments [discovery-token-ca-cert-hash token]")
        doc = load_config(values["config"], ["JoinConfiguration"])["JoinConfiguration"]
        discovery = doc.get("discovery") or {}
        check_fields("discovery", discovery, DISCOVERY)
        bootstrap = discovery.get("bootstrapToken")
        if bootstrap is None:
            raise KubeadmError("discovery.bootstrapToken is required (the simulator supports token discovery)")
        check_fields("discovery.bootstrapToken", bootstrap, DISCOVERY_TOKEN)
        endpoint, token = bootstrap.get("apiServerEndpoint"), bootstrap.get("token")
        hashes, skip = bootstrap.get("caCertHashes") or [], bootstrap.get("unsafeSkipCAVerification", False)
        tls = discovery.get("tlsBootstrapToken")
        if tls is not None and tls != token:
            raise KubeadmError("discovery.tlsBootstrapToken differs from the discovery token")
    else:
        if len(positional) != 1:
            raise KubeadmError("kubeadm join needs the API server endpoint or --config")
        endpoint, token = positional[0], values.get("token")
        hashes = [values["discovery-token-ca-cert-hash"]] if "discovery-token-ca-cert-hash" in values else []
        skip = values.get("discovery-token-unsafe-skip-ca-verification", False)
    if skip:
        raise KubeadmError("unsafeSkipCAVerification is refused: NodeImager pins the CA by hash")
    if not hashes:
        raise KubeadmError("discovery.bootstrapToken: Invalid value: \"\": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue")
    if not token or not TOKEN.match(token):
        raise KubeadmError(f'discovery.bootstrapToken.token: Invalid value: "{token}": the bootstrap token is invalid')
    preflight("join")
    print("[preflight] Running pre-flight checks")
    shared_endpoint = os.path.join(SHARED, "endpoint")
    master = open(shared_endpoint).read().strip() if os.path.exists(shared_endpoint) else None
    if endpoint != master:
        raise KubeadmError(f'[discovery] Failed to request cluster-info, will try again: Get "https://{endpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": dial tcp {endpoint}: connect: connection refused\n'
                           f"error execution phase preflight: couldn't validate the identity of the API Server: could not reach {endpoint} (the API server is at {master})")
    record_path = os.path.join(SHARED, "tokens", token.split(".")[0])
    record = json.load(open(record_path)) if os.path.exists(record_path) else None
    if record is None or record["token"] != token or (record["expires"] != 0 and record["expires"] <= now()):
        raise KubeadmError(f'error execution phase preflight: couldn\'t validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "{token.split(".")[0]}"'
                           + (" (the token expired)" if record is not None and record["token"] == token else ""))
    actual = ca_hash(os.path.join(SHARED, "ca.crt"))
    if actual not in hashes:
        raise KubeadmError(f'error execution phase preflight: couldn\'t validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "{actual}" are pinned')
    os.makedirs(PKI, exist_ok=True)
    subprocess.run(["cp", os.path.join(SHARED, "ca.crt"), os.path.join(PKI, "ca.crt")], check=True)
    write_kubeconfig("/etc/kubernetes/kubelet.conf", f"https://{endpoint}", f"system:node:{env('SIM_HOSTNAME')}")
    register_node(doc.get("nodeRegistration", {}).get("name") if "config" in values else values.get("node-name"))
    os.makedirs(os.path.join(SHARED, "joined"), exist_ok=True)
    with open(os.path.join(SHARED, "joined", env("SIM_INSTANCE_ID")), "w") as f:
        json.dump({"instanceId": env("SIM_INSTANCE_ID"), "endpoint": endpoint, "token": token, "caCertHash": actual, "at": now()}, f)
    print("[kubelet-start] Starting the kubelet")
    print("[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap")
    print()
    print("This node has joined the cluster:")
    print("* Certificate signing request was sent to apiserver and a response was received.")
    print("* The Kubelet was informed of the new secure connection details.")


def token(args):
    if not args:
        raise KubeadmError("kubeadm token needs a subcommand: create, delete, generate, list")
    sub, rest = args[0], args[1:]
    if sub == "generate":
        if rest:
            raise KubeadmError("kubeadm token generate takes no arguments")
        print(new_token())
        return
    require_admin_conf()
    if sub == "create":
        values, positional = options(rest, {"ttl", "description", "kubeconfig", "usages", "groups"}, {"print-join-command"})
        if len(positional) > 1:
            raise KubeadmError("kubeadm token create takes at most one token")
        value = positional[0] if positional else new_token()
        store_token(value, parse_duration(values.get("ttl", "24h0m0s")), values.get("description", ""))
        if values.get("print-join-command"):
            endpoint = open(os.path.join(SHARED, "endpoint")).read().strip()
            print(f"kubeadm join {endpoint} --token {value} --discovery-token-ca-cert-hash {ca_hash(os.path.join(PKI, 'ca.crt'))}")
        else:
            print(value)
    elif sub == "list":
        options(rest, {"kubeconfig", "o", "output"})
        print("TOKEN                     TTL         EXPIRES                USAGES                   DESCRIPTION")
        for path in sorted(glob.glob(os.path.join(SHARED, "tokens", "*"))):
            record = json.load(open(path))
            if record["expires"] == 0 or record["expires"] > now():
                left = "<forever>" if record["expires"] == 0 else f"{(record['expires'] - now()) // 3600}h"
                print(f"{record['token']}   {left:<10}  {record['expires']:<21}  authentication,signing  {record['description']}")
    elif sub == "delete":
        _, positional = options(rest, {"kubeconfig"})
        for t in positional:
            path = os.path.join(SHARED, "tokens", t.split(".")[0])
            if not os.path.exists(path):
                raise KubeadmError(f'bootstrap token "{t}" not found')
            os.remove(path)
            print(f'bootstrap token "{t.split(".")[0]}" deleted')
    else:
        raise KubeadmError(f'unknown command "{sub}" for "kubeadm token"')


def images(args):
    if not args or args[0] not in ("list", "pull"):
        raise KubeadmError("kubeadm config images needs list or pull")
    values, positional = options(args[1:], {"kubernetes-version", "config", "cri-socket", "image-repository", "v"})
    if positional:
        raise KubeadmError(f'unknown command "{positional[0]}"')
    version = values.get("kubernetes-version", "v" + installed_version())
    if not re.match(r"^v\d+\.\d+\.\d+$", version):
        raise KubeadmError(f'kubernetes version "{version}" is not a released version here')
    listing = [f"registry.k8s.io/kube-apiserver:{version}", f"registry.k8s.io/kube-controller-manager:{version}",
               f"registry.k8s.io/kube-scheduler:{version}", f"registry.k8s.io/kube-proxy:{version}",
               "registry.k8s.io/coredns/coredns:v1.12.1", env("SIM_PAUSE_IMAGE", "registry.k8s.io/pause:3.10.1"),
               "registry.k8s.io/etcd:3.6.4-0"]
    for image in listing:
        print(image if args[0] == "list" else f"[config/images] Pulled {image}")
    if args[0] == "pull":
        with open(os.path.join(STATE, "images"), "a") as f:
            f.write("".join(image + "\n" for image in listing))


def main(args):
    if not args:
        raise KubeadmError("kubeadm needs a command")
    command, rest = args[0], args[1:]
    if command == "version":
        values, _ = options(rest, {"output"})
        version = "v" + installed_version()
        print(version if values.get("output") == "short" else f'kubeadm version: &version.Info{{Major:"1", GitVersion:"{version}"}}')
    elif command == "init":
        init(rest)
    elif command == "join":
        join(rest)
    elif command == "token":
        token(rest)
    elif command == "config" and rest[:1] == ["images"]:
        images(rest[1:])
    elif command == "reset":
        options(rest, {"cri-socket"}, {"force"})
        subprocess.run(["rm", "-rf", "/etc/kubernetes/manifests", "/etc/kubernetes/admin.conf", "/etc/kubernetes/kubelet.conf", PKI])
    else:
        raise KubeadmError(f'unknown command "{command}" for "kubeadm"')


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except KubeadmError as e:
        print(e, file=sys.stderr)
        sys.exit(1)
