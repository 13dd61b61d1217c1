/**
 * The measured runtime configuration of a release (lib/runtime-config), built from what
 * the deployed stacks and the release pull request hold: the keys stack's sealing key,
 * the messaging stack's NATS CA and client server name, the VETTID account's public key
 * and the runtime's sealed NATS key file (`bin/vettid release runtime-nats-key`). The
 * build (ami/enclave/build-eif.sh) copies the result into the image, where it is
 * measured: a device that verified the attestation knows every value, the host none.
 */
import { ENVIRONMENTS } from "../lib/config";
import { type MeasuredConfig, parseMeasuredConfig } from "../lib/runtime-config";

/** What a release's runtime configuration is made from. */
export interface RuntimeConfigInputs {
  environment: string;
  /** The keys stack's `sealing-key-arn` output. */
  sealingKeyArn: string;
  /** `kms-fips.<region>.amazonaws.com` instead of `kms.<region>.amazonaws.com`. */
  fips?: boolean;
  /** The messaging stack's `nats-ca-certificate` output (PEM). */
  natsCaPem: string;
  /** The messaging stack's `nats-server-name` output. */
  natsServerName: string;
  /** The VETTID account's public nkey (`A…`). */
  accountPublicKey: string;
  /** The text of the environment's runtime NATS key file. */
  runtimeNatsKeyText: string;
  /** The release public key (JWK) manifests are signed with. */
  manifestKey: Record<string, unknown>;
  /** Seconds a recovery waits (default and least outside local / dev: 24 h). */
  recoveryDelaySeconds?: number;
}

const KEY_ARN_REGION = /^arn:aws[a-z-]*:kms:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:key\/[0-9a-f-]{36}$/;

/**
 * Builds and checks the configuration exactly as the runtime will read it.
 * @throws Error with one line naming every problem.
 */
export function buildRuntimeConfig(inputs: RuntimeConfigInputs): MeasuredConfig {
  if (!(ENVIRONMENTS as readonly string[]).includes(inputs.environment) || inputs.environment === "local") {
    throw new Error(`not a deployed environment: ${inputs.environment}`);
  }
  const region = KEY_ARN_REGION.exec(inputs.sealingKeyArn)?.[1];
  if (region === undefined) throw new Error(`not a KMS key ARN: ${inputs.sealingKeyArn}`);
  const sealed = runtimeNatsKeyRecord(inputs.runtimeNatsKeyText);
  const problems: string[] = [];
  if (sealed.environment !== inputs.environment) {
    problems.push(`the runtime NATS key is for ${String(sealed.environment)}, not ${inputs.environment}`);
  }
  if (sealed.sealingKeyArn !== inputs.sealingKeyArn) {
    problems.push(`the runtime NATS key was sealed with ${String(sealed.sealingKeyArn)}, not the sealing key`);
  }
  if (!/^client\.[a-z0-9][a-z0-9-]{0,62}\.nats\.vettid\.internal$/.test(inputs.natsServerName)) {
    problems.push(
      `the NATS server name must be the cluster's client name (client.<cluster>.nats.vettid.internal), not ${inputs.natsServerName}`,
    );
  }
  if (problems.length > 0) throw new Error(problems.join("; "));
  return parseMeasuredConfig({
    environment: inputs.environment,
    kms: {
      region,
      endpointName: `${inputs.fips ? "kms-fips" : "kms"}.${region}.amazonaws.com`,
      keyArn: inputs.sealingKeyArn,
    },
    trustRoots: "public",
    nats: {
      servername: inputs.natsServerName,
      caPem: inputs.natsCaPem.endsWith("\n") ? inputs.natsCaPem : `${inputs.natsCaPem}\n`,
      // the nodes run handshake_first (stacks/nats-server-tls.ts): no INFO in the clear
      handshakeFirst: true,
      accountPublicKey: inputs.accountPublicKey,
      signingPublicKey: sealed.signingPublicKey,
    },
    ...(inputs.recoveryDelaySeconds !== undefined ? { recoveryDelaySeconds: inputs.recoveryDelaySeconds } : {}),
    manifestKey: inputs.manifestKey,
  });
}

function runtimeNatsKeyRecord(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error("the runtime NATS key file is not JSON");
  }
  if (typeof value !== "object" || value === null || (value as { schema?: unknown }).schema !== RUNTIME_NATS_KEY) {
    throw new Error(`the runtime NATS key file is not a ${RUNTIME_NATS_KEY} record`);
  }
  return value as Record<string, unknown>;
}

const RUNTIME_NATS_KEY = "vettid.runtime-nats-key/v1";
