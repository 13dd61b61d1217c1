import { rootCertificates } from "node:tls";
import { ConfigError, ENVIRONMENTS } from "../config";
import * as z from "../zod";

/** Where the enclave image carries its measured configuration (ami/enclave/Dockerfile). */
export const MEASURED_CONFIG_PATH = "/app/runtime-config.json";

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:key\/[0-9a-f-]{36}$/;
const ACCOUNT_NKEY = /^A[A-Z2-7]{55}$/;
const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/;

/**
 * The runtime's security settings. They are part of the enclave image, so they are
 * covered by its PCRs and a device that verified the attestation knows them; the host
 * can set none of them. Unknown keys are refused.
 */
export const MeasuredConfigSchema = z.strictObject({
  /** Deployment environment; only `local` and `dev` may trust a development CA. */
  environment: z.enum(ENVIRONMENTS),
  kms: z.strictObject({
    /** AWS region of the sealing key. */
    region: z.string().check(z.regex(REGION)),
    /**
     * The KMS endpoint name: the TLS server certificate must carry it. Outside local /
     * dev: `kms.<region>.amazonaws.com` or its FIPS variant.
     */
    endpointName: z.string().check(z.regex(HOST_NAME)),
    /** The vault sealing key's ARN; an answer for another key is refused. */
    keyArn: z.string().check(z.regex(KEY_ARN)),
  }),
  /**
   * Roots trusted for KMS's certificate: `public` (the public web roots built into the
   * image's Node.js) everywhere but local / dev, where `{devCaPem}` (the launcher's dev
   * CA, and nothing else) is allowed instead.
   */
  trustRoots: z.union([z.literal("public"), z.strictObject({ devCaPem: z.string().check(z.regex(PEM_CERTIFICATE)) })]),
  /**
   * The runtime's own NATS connection (decision 0072): TLS that ends inside the enclave,
   * through the host's `nats` tunnel, for the version witness and the vault leases.
   * Absent: the runtime has no witness, leases or change log of its own (local and dev
   * only; required elsewhere).
   */
  nats: z.optional(
    z.strictObject({
      /** The name every NATS node's certificate carries; checked by the enclave. */
      servername: z.string().check(z.regex(HOST_NAME)),
      /** The only CA trusted for those certificates (PEM): the cluster's own CA. */
      caPem: z.string().check(z.regex(PEM_CERTIFICATE)),
      /** TLS before the server's INFO (nats-server ≥ 2.10 `handshake_first`), so the host sees no INFO either. */
      handshakeFirst: z.boolean(),
      /** The VettID account's public nkey (`A…`): the user JWT's issuer account. */
      accountPublicKey: z.string().check(z.regex(ACCOUNT_NKEY)),
      /**
       * Public nkey of the account signing key scoped to the runtime template. The host
       * hands over its seed sealed by KMS; a seed of another key is refused.
       */
      signingPublicKey: z.string().check(z.regex(ACCOUNT_NKEY)),
    }),
  ),
  /**
   * How long a recovery waits before it may complete (docs/decisions/0068), in
   * seconds; 24 hours when absent, and never less outside local / dev, so the owner's
   * devices have a day to see it and cancel.
   */
  recoveryDelaySeconds: z.optional(z.int().check(z.gte(0), z.lte(30 * 86_400))),
  /** The release public key (JWK) PCR manifests must be signed with. */
  manifestKey: z.looseObject({ kty: z.string(), crv: z.optional(z.string()), x: z.optional(z.string()) }),
});

export type MeasuredConfig = z.infer<typeof MeasuredConfigSchema>;

/**
 * Validates a measured configuration and the rules that tie its fields together.
 * @throws ConfigError with one line naming every problem.
 */
export function parseMeasuredConfig(value: unknown): MeasuredConfig {
  const result = z.safeParse(MeasuredConfigSchema, value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"} ${issue.message}`);
    throw new ConfigError(`invalid measured configuration: ${problems.join("; ")}`);
  }
  const config = result.data;
  const problems: string[] = [];
  const dev = config.environment === "local" || config.environment === "dev";
  const arnRegion = KEY_ARN.exec(config.kms.keyArn)?.[1];
  if (arnRegion !== config.kms.region) problems.push("kms.keyArn is not a key of kms.region");
  if (!dev) {
    if (config.trustRoots !== "public") problems.push("trustRoots must be public outside local or dev");
    const allowed = [`kms.${config.kms.region}.amazonaws.com`, `kms-fips.${config.kms.region}.amazonaws.com`];
    if (!allowed.includes(config.kms.endpointName)) {
      problems.push(`kms.endpointName must be ${allowed.join(" or ")} outside local or dev`);
    }
    if (config.recoveryDelaySeconds !== undefined && config.recoveryDelaySeconds < DEFAULT_RECOVERY_DELAY_SECONDS) {
      problems.push(`recoveryDelaySeconds must be at least ${DEFAULT_RECOVERY_DELAY_SECONDS} outside local or dev`);
    }
    // Without its own connection the runtime has no witness the host cannot roll back,
    // takes no leases (two hosts would both answer) and keeps no change log.
    if (!config.nats) problems.push("nats must be set outside local or dev (the runtime's own NATS connection)");
  }
  if (config.nats && config.nats.signingPublicKey === config.nats.accountPublicKey) {
    problems.push("nats.signingPublicKey must be a signing key, not the account's own key");
  }
  if (problems.length > 0) throw new ConfigError(`invalid measured configuration: ${problems.join("; ")}`);
  return config;
}

/** The recovery delay when the configuration names none, and the least allowed outside local / dev: 24 hours. */
export const DEFAULT_RECOVERY_DELAY_SECONDS = 86_400;

/** The recovery delay a measured configuration sets, in milliseconds. */
export function recoveryDelayMs(config: MeasuredConfig): number {
  return (config.recoveryDelaySeconds ?? DEFAULT_RECOVERY_DELAY_SECONDS) * 1_000;
}

/** The PEM roots a measured configuration trusts for KMS. */
export function kmsTrustRoots(config: MeasuredConfig): readonly string[] {
  return config.trustRoots === "public" ? rootCertificates : [config.trustRoots.devCaPem];
}

/**
 * The KMS encryption context of the runtime's sealed NATS signing key. The sealing key's
 * policy lets an attested enclave Decrypt with exactly this context (stacks/keys.ts
 * `natsKeyContextCondition`), never GenerateDataKey, so the key that seals vaults
 * opens this one secret too, and no vault's context opens it.
 */
export const RUNTIME_NATS_KEY_CONTEXT: Readonly<Record<string, string>> = Object.freeze({
  purpose: "vettid-runtime-nats-key",
});
