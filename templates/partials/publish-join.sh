#!/bin/bash
# Publishes endpoint, token and CA hash as a SecureString. Run once by master.sh with the init token, then
# hourly by nodeimager-join-refresh.timer with a fresh 2h token, so workers always find a valid one.
set -euo pipefail
# shellcheck source=/dev/null
. "${NODEIMAGER_ENV:-/etc/nodeimager/node.env}"
# shellcheck source=/dev/null
. "${NODEIMAGER_LIB:-/usr/local/lib/nodeimager}/steps.sh"
IMDS="${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254/}"
imds_token=$(curl -fsS -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 300" "${IMDS%/}/latest/api/token")
meta() { curl -fsS -H "X-aws-ec2-metadata-token: $imds_token" "${IMDS%/}/latest/meta-data/$1"; }
AWS_DEFAULT_REGION=$(meta placement/region)
export AWS_DEFAULT_REGION KUBECONFIG=/etc/kubernetes/admin.conf
umask 077
TOKEN=${1:-$(kubeadm token create --ttl 2h)}
HASH=$(ca_cert_hash /etc/kubernetes/pki/ca.crt)
ENDPOINT="$(meta local-ipv4):6443" TOKEN="$TOKEN" HASH="$HASH" python3 - > /run/nodeimager-join.json << 'PY'
import datetime, json, os
expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)
print(json.dumps({"endpoint": os.environ["ENDPOINT"], "token": os.environ["TOKEN"],
                  "caCertHash": os.environ["HASH"], "expiresAt": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}))
PY
aws ssm put-parameter --name "$JOIN_PARAMETER" --type SecureString --overwrite \
  --value file:///run/nodeimager-join.json > /dev/null
rm -f /run/nodeimager-join.json
echo "$(date -u +%FT%TZ) join material published to $JOIN_PARAMETER"
