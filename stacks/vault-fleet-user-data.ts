import type { ReleaseKeySetJson } from "./inputs/manifest";
/** Where the user data writes the pinned release key set (`VETTID_MANIFEST_KEY_FILE`). */
export const MANIFEST_KEY_PATH = "/etc/vettid/manifest-key.jwk.json";

/** Where the user data writes the NATS CA certificate (`VETTID_NATS_CA_FILE`, public, mode 0644). */
export const NATS_CA_PATH = "/etc/vettid/nats-ca.pem";

/**
 * Where the user data writes the runtime's sealed NATS signing key (`VETTID_RUNTIME_NATS_KEY_FILE`):
 * base64 of a KMS ciphertext only an attested enclave opens; mode 0640, group `vettid`
 * (the proxy reads it on each request of its enclave).
 */
export const RUNTIME_NATS_KEY_PATH = "/etc/vettid/runtime-nats-key.b64";

/** The host environment file (systemd `EnvironmentFile=` of the proxy and the enclave units). */
export const HOST_ENV_PATH = "/etc/vettid/vault-host.env";

/** Where the proxy's unit appends its stdout and stderr (Powertools JSON logs and EMF metrics). */
export const PROXY_LOG_PATH = "/var/log/vettid/vsock-proxy.log";

/** The CloudWatch agent's configuration file, as `amazon-cloudwatch-agent-ctl -c file:` reads it. */
export const CLOUDWATCH_AGENT_CONFIG_PATH = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json";

/**
 * The CloudWatch agent's configuration on a vault host: it ships the proxy's log file
 * to the host log group, one stream per instance. The proxy writes its metrics
 * (`EnclaveHealthy`, …) as embedded metric format lines on stdout, and CloudWatch Logs
 * extracts the metrics from such JSON events itself, so this is what makes the
 * enclave health alarm see data. The agent runs as root (it reads the root-owned log).
 */
export function cloudWatchAgentConfig(logGroup: string): Record<string, unknown> {
  return {
    agent: { run_as_user: "root", logfile: "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log" },
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            {
              file_path: PROXY_LOG_PATH,
              log_group_name: logGroup,
              log_stream_name: "{instance_id}/vsock-proxy",
              timezone: "UTC",
            },
          ],
        },
      },
    },
  };
}

/**
 * cloud-init user data of a vault host. The AMI (ami/packer) carries the Nitro Enclaves
 * CLI, the vsock proxy and the systemd units; this script writes the per-environment
 * settings, sizes the enclave allocator, fetches (and checks) the release's enclave image,
 * and starts the units: allocator → vsock proxy → enclave.
 */
export interface VaultUserDataProps {
  environment: string;
  region: string;
  /** NATS client URLs of the cluster nodes (inside the VPC, `tls://`). */
  natsUrls: readonly string[];
  /** The CA certificate (PEM) the nodes' certificates chain to. */
  natsCaCertificatePem: string;
  natsCredentialsSecretArn: string;
  sealedStateBucket: string;
  /** The edge's table (the host registry: one `HOST#<instance ARN>` partition per host). */
  tableName: string;
  /** `arn:aws:ec2:<region>:<account>:instance/`: the host's ARN is this + its instance id. */
  instanceArnPrefix: string;
  manifestUrl: string;
  /** The manifest's release key set (public keys, owners, threshold): the proxy pins it. */
  releaseKeySet: ReleaseKeySetJson;
  /** The serial of the manifest the stacks verified: the proxy accepts no older one. */
  manifestSerial: number;
  /** Vault ids the proxy serves, or `["*"]` (accepted by the proxy in dev only). */
  servedVaults: readonly string[];
  logGroup: string;
  /** The log group's name, literal (it is written into the CloudWatch agent's configuration). */
  logGroupName: string;
  /** CloudWatch namespace of the host metrics (the one the host role may publish to). */
  metricsNamespace: string;
  /** Dimension of the host metrics (the enclave health alarm sums per group). */
  autoScalingGroupName: string;
  release: { id: string; eifSha384: string | null };
  artifactBucket: string;
  enclave: { memoryMiB: number; cpuCount: number };
  /**
   * The enclave's own NATS connection (decision 0076): the sealed signing key the proxy
   * hands to it, and the nodes (`host:port`) its tunnel may reach. Null: the proxy opens
   * no such tunnel, and serves every vault in dev only.
   */
  runtimeNats: { sealedKey: string; tunnelTargets: readonly string[] } | null;
}

/**
 * Appends `VETTID_HOST_ID=<instance id>` and `VETTID_HOST_ARN=<instance ARN>` to the env
 * file, the id read from the instance metadata service with an IMDSv2 session token (the
 * launch template requires v2). The ARN is what IAM puts in `ec2:SourceInstanceARN` for
 * the instance's credentials: the heartbeat partition the host role may write.
 * No Terraform interpolation and no shell expansion of untrusted text: the instance
 * id must look like one (`i-` and hex) before it is written.
 * @param instanceArnPrefix `arn:aws:ec2:<region>:<account>:instance/`
 */
export function hostIdFromImds(instanceArnPrefix: string): string {
  if (!/^arn:aws:ec2:[a-z0-9-]+:\d{12}:instance\/$/.test(instanceArnPrefix)) {
    throw new Error(`not an instance ARN prefix: ${instanceArnPrefix}`);
  }
  return [
    // no double quotes: Terraform function arguments may not hold them (assignments and
    // [[ ]] do not split words; the id is checked before it is echoed)
    "IMDS_TOKEN=$(curl -sSf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)",
    "INSTANCE_ID=$(curl -sSf -H X-aws-ec2-metadata-token:$IMDS_TOKEN http://169.254.169.254/latest/meta-data/instance-id)",
    "[[ $INSTANCE_ID =~ ^i-[0-9a-f]{8,17}$ ]]",
    `echo VETTID_HOST_ID=$INSTANCE_ID >> ${HOST_ENV_PATH}`,
    `echo VETTID_HOST_ARN=${instanceArnPrefix}$INSTANCE_ID >> ${HOST_ENV_PATH}`,
  ].join("\n");
}

/** The EIF object of a release in the artifact bucket. */
export function eifObjectKey(releaseId: string): string {
  return `enclave/${releaseId}/vault.eif`;
}

/**
 * The user data of a host in an environment with no release yet (no signed manifest):
 * it starts nothing and fails, so the instance shows the reason in its console output.
 * No double quotes: Terraform function arguments may not hold them.
 */
export function idleHostUserData(environment: string): string {
  if (!/^[a-z]+$/.test(environment)) throw new Error(`not an environment name: ${environment}`);
  return `#!/bin/bash
echo vettid: ${environment} has no signed release manifest yet, this host runs no enclave >&2
exit 1
`;
}

/**
 * The user data script. The environment file and the key are written through quoted
 * heredocs, so the shell expands nothing in them: the values Terraform resolves are
 * written exactly. The key's JSON travels base64-encoded (Terraform function arguments
 * may not hold double quotes). /etc/vettid is group `vettid` (created by the AMI) so the proxy, which
 * runs as that user, can read the world-readable key but not the root-only env file
 * (systemd reads that before dropping privileges).
 */
export function vaultUserData(p: VaultUserDataProps): string {
  if (p.servedVaults.length === 0) throw new Error("vaultFleet.servedVaults must name at least one vault (or *)");
  if (p.releaseKeySet.keys.some((k) => k.jwk.d !== undefined)) {
    throw new Error("the release key set in user data must hold public keys only");
  }
  if (p.runtimeNats !== null) {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(p.runtimeNats.sealedKey)) {
      throw new Error("the runtime NATS key must be base64 text");
    }
    if (p.runtimeNats.tunnelTargets.length === 0) throw new Error("the runtime NATS tunnel needs at least one node");
    for (const target of p.runtimeNats.tunnelTargets) {
      if (!/^[0-9a-z.-]+:\d{1,5}$/.test(target)) throw new Error(`not a host:port tunnel target: ${target}`);
    }
  }
  const runtimeNatsKey =
    p.runtimeNats === null
      ? ""
      : `cat > ${RUNTIME_NATS_KEY_PATH} <<'SEALED'
${p.runtimeNats.sealedKey}
SEALED
chown root:vettid ${RUNTIME_NATS_KEY_PATH}
chmod 0640 ${RUNTIME_NATS_KEY_PATH}
`;
  const runtimeNatsEnv =
    p.runtimeNats === null
      ? ""
      : `VETTID_NATS_TUNNEL_TARGET=${p.runtimeNats.tunnelTargets.join(",")}
VETTID_RUNTIME_NATS_KEY_FILE=${RUNTIME_NATS_KEY_PATH}
`;
  const verify =
    p.release.eifSha384 === null
      ? "# The release record has no eif_sha384: the image is admitted by its PCRs alone (attestation)."
      : `echo "${p.release.eifSha384}  /opt/vettid/enclave/vault.eif" | sha384sum --check --strict`;
  return `#!/bin/bash
set -euo pipefail
umask 027
install -d -m 0750 -o root -g vettid /etc/vettid
install -d -m 0750 /opt/vettid/enclave
base64 --decode > ${MANIFEST_KEY_PATH} <<'JWK'
${Buffer.from(JSON.stringify(p.releaseKeySet), "utf8").toString("base64")}
JWK
chown root:root ${MANIFEST_KEY_PATH}
chmod 0644 ${MANIFEST_KEY_PATH}
cat > ${NATS_CA_PATH} <<'PEM'
${p.natsCaCertificatePem}
PEM
chown root:root ${NATS_CA_PATH}
chmod 0644 ${NATS_CA_PATH}
${runtimeNatsKey}cat > ${HOST_ENV_PATH} <<'ENV'
VETTID_ENV=${p.environment}
AWS_REGION=${p.region}
VETTID_NATS_URL=${p.natsUrls.join(",")}
VETTID_NATS_CA_FILE=${NATS_CA_PATH}
VETTID_NATS_TLS_FIRST=true
VETTID_NATS_CREDENTIALS_SECRET_ID=${p.natsCredentialsSecretArn}
VETTID_BLOB_BUCKET=${p.sealedStateBucket}
VETTID_TABLE_NAME=${p.tableName}
VETTID_MANIFEST_URL=${p.manifestUrl}
VETTID_MANIFEST_KEY_FILE=${MANIFEST_KEY_PATH}
VETTID_MANIFEST_MIN_SERIAL=${p.manifestSerial}
VETTID_PROXY_VAULTS=${p.servedVaults.join(",")}
VETTID_LOG_GROUP=${p.logGroup}
VETTID_METRICS_NAMESPACE=${p.metricsNamespace}
VETTID_AUTOSCALING_GROUP=${p.autoScalingGroupName}
VETTID_ENCLAVE_RELEASE=${p.release.id}
VETTID_ENCLAVE_EIF=/opt/vettid/enclave/vault.eif
VETTID_ENCLAVE_MEMORY_MIB=${p.enclave.memoryMiB}
VETTID_ENCLAVE_CPU_COUNT=${p.enclave.cpuCount}
${runtimeNatsEnv}ENV
${hostIdFromImds(p.instanceArnPrefix)}
cat > /etc/nitro_enclaves/allocator.yaml <<ALLOC
---
memory_mib: ${p.enclave.memoryMiB}
cpu_count: ${p.enclave.cpuCount}
ALLOC
base64 --decode > ${CLOUDWATCH_AGENT_CONFIG_PATH} <<'CWAGENT'
${Buffer.from(JSON.stringify(cloudWatchAgentConfig(p.logGroupName)), "utf8").toString("base64")}
CWAGENT
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${CLOUDWATCH_AGENT_CONFIG_PATH}
aws s3 cp --region ${p.region} --only-show-errors s3://${p.artifactBucket}/${eifObjectKey(p.release.id)} /opt/vettid/enclave/vault.eif
${verify}
systemctl enable --now nitro-enclaves-allocator.service
systemctl enable --now vettid-vsock-proxy.service vettid-vsock-bridge.service vettid-enclave.service
`;
}
