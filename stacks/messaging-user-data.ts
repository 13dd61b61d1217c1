/**
 * cloud-init user data of a NATS node. The AMI carries nats-server, the AWS CLI and jq;
 * this script only mounts the node's JetStream volume, writes the configuration (routes
 * to the other two nodes, operator/JWT mode from Secrets Manager) and starts the unit.
 * Values may be Terraform references; the script is built as one string.
 */
export interface NatsUserDataProps {
  nodeName: string;
  clusterName: string;
  region: string;
  /** Volume id without the dash (how it appears under /dev/disk/by-id). */
  volumeIdNoDash: string;
  operatorSecretArn: string;
  routes: readonly string[];
  jetstreamMaxFileGiB: number;
  ports: { client: number; cluster: number; monitor: number };
}

export function natsUserData(p: NatsUserDataProps): string {
  const routes = p.routes.map((r) => `    "nats-route://${r}:${p.ports.cluster}"`).join(",\n");
  return `#!/bin/bash
set -euo pipefail
# JetStream volume: wait for the attachment, format once, mount.
dev=/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${p.volumeIdNoDash}
for _ in $(seq 1 60); do [ -e "$dev" ] && break; sleep 5; done
blkid "$dev" >/dev/null || mkfs.xfs "$dev"
mkdir -p /var/lib/nats
grep -q /var/lib/nats /etc/fstab || echo "$dev /var/lib/nats xfs defaults,nofail 0 2" >> /etc/fstab
mount -a
install -d -o nats -g nats /var/lib/nats/jetstream /var/lib/nats/resolver
# Operator mode: operator JWT, system account and preloaded account JWTs from Secrets Manager.
umask 077
aws secretsmanager get-secret-value --region ${p.region} --secret-id ${p.operatorSecretArn} \\
  --query SecretString --output text > /etc/nats/operator.json
jq -r .operator_jwt /etc/nats/operator.json > /etc/nats/operator.jwt
SYS=$(jq -r .system_account /etc/nats/operator.json)
jq -r '.accounts | to_entries | map("  \\(.key): \\(.value)") | .[]' /etc/nats/operator.json > /etc/nats/preload.conf
cat > /etc/nats/nats.conf <<CONF
server_name: "${p.nodeName}"
port: ${p.ports.client}
http_port: ${p.ports.monitor}
max_payload: 1MB
jetstream {
  store_dir: "/var/lib/nats/jetstream"
  max_file_store: ${p.jetstreamMaxFileGiB}GB
}
cluster {
  name: "${p.clusterName}"
  port: ${p.ports.cluster}
  routes: [
${routes}
  ]
}
operator: "/etc/nats/operator.jwt"
system_account: "$SYS"
resolver {
  type: full
  dir: "/var/lib/nats/resolver"
  allow_delete: false
  interval: "2m"
}
resolver_preload {
$(cat /etc/nats/preload.conf)
}
CONF
chown -R nats:nats /etc/nats
systemctl enable --now nats-server.service
`;
}
