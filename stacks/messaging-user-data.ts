import { type NatsNodeCertificatesProps, natsCertificatesUserData } from "./nats-node-certificates";
import {
  clientServerName,
  clientTlsBlock,
  clusterBlock,
  NATS_TLS_DIR,
  natsTlsFiles,
  routeIdentity,
} from "./nats-server-tls";

/**
 * cloud-init user data of a NATS node. The AMI carries nats-server (≥ 2.10, for
 * `handshake_first`), the AWS CLI, jq and openssl; this script only mounts the node's
 * JetStream volume, obtains the node's certificates from the private CA, writes the
 * configuration (TLS on the client port, mutual-TLS routes to the other two nodes with
 * route authorization, operator/JWT mode from Secrets Manager) and starts the unit.
 * Values may be Terraform references; the script is built as one string.
 */
export interface NatsUserDataProps {
  nodeName: string;
  clusterName: string;
  region: string;
  /** Volume id without the dash (how it appears under /dev/disk/by-id). */
  volumeIdNoDash: string;
  operatorSecretArn: string;
  /** This node's fixed private address (named in its certificates). */
  nodeAddress: string;
  /** Addresses of the other nodes. */
  routes: readonly string[];
  /** Where the node's certificates come from (stacks/nats-pki.ts). */
  certificates: Pick<NatsNodeCertificatesProps, "caArn" | "templateArn" | "validityDays">;
  jetstreamMaxFileGiB: number;
  ports: { client: number; cluster: number; monitor: number };
}

export function natsUserData(p: NatsUserDataProps): string {
  const identity = routeIdentity(p.clusterName);
  const certificates = natsCertificatesUserData({
    ...p.certificates,
    region: p.region,
    nodeName: p.nodeName,
    nodeAddress: p.nodeAddress,
    routeIdentity: identity,
    clientServerName: clientServerName(p.clusterName),
  });
  // TLS first on the client port: the NLB's TLS target group and the hosts' proxies speak it.
  const clientTls = clientTlsBlock(natsTlsFiles(NATS_TLS_DIR, "server"), true);
  const cluster = clusterBlock({
    name: p.clusterName,
    listen: `0.0.0.0:${p.ports.cluster}`,
    routes: p.routes.map((r) => `nats-route://${r}:${p.ports.cluster}`),
    tls: natsTlsFiles(NATS_TLS_DIR, "route"),
    routeIdentity: identity,
  });
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
# TLS: the node's keys are made here; the private CA signs their CSRs (renewed daily).
${certificates}
cat > /etc/nats/nats.conf <<CONF
server_name: "${p.nodeName}"
port: ${p.ports.client}
http_port: ${p.ports.monitor}
max_payload: 1MB
jetstream {
  store_dir: "/var/lib/nats/jetstream"
  max_file_store: ${p.jetstreamMaxFileGiB}GB
}
${clientTls}
${cluster}
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
