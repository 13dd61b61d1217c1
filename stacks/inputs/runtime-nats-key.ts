/**
 * Reads the vault runtime's sealed NATS signing key of an environment (decision 0076):
 * the file `bin/vettid release runtime-nats-key` writes and the release pull request
 * commits beside the manifest. It holds a KMS ciphertext of the seed of the account
 * signing key scoped to the runtime template, under the sealing key with the context
 * `{purpose: vettid-runtime-nats-key}`; only an enclave of an approved release can open it
 * (stacks/keys.ts `natsKeyStatement`), and the runtime refuses a seed whose public key is
 * not the one its measured configuration names. The stacks only check its shape and hand
 * the ciphertext to the hosts. Stacks may not import lib/, so the shape is checked here.
 */
import { existsSync, readFileSync } from "node:fs";

/** The file's `schema`. */
export const RUNTIME_NATS_KEY_SCHEMA = "vettid.runtime-nats-key/v1";

/** The runtime's sealed NATS signing key as the stacks use it. */
export interface RuntimeNatsKey {
  environment: string;
  /** Public nkey of the scoped signing key (`A…`): what the account JWT and the measured configuration name. */
  signingPublicKey: string;
  /** The sealing key the ciphertext was made with. */
  sealingKeyArn: string;
  /** Base64 of the KMS ciphertext (no line breaks). */
  ciphertext: string;
}

const ACCOUNT_NKEY = /^A[A-Z2-7]{55}$/;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:key\/[0-9a-f-]{36}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** A KMS ciphertext blob of a 58-byte seed is about 200 bytes; the proxy takes at most 4 KiB. */
const MAX_CIPHERTEXT_BASE64 = 5_464;

/**
 * Parses the file's text.
 * @throws Error with a one-line reason naming the file.
 */
export function parseRuntimeNatsKey(text: string, where: string, environment: string): RuntimeNatsKey {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`runtime NATS key ${where} is not JSON`);
  }
  const record = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const problems: string[] = [];
  const allowed = ["schema", "environment", "signingPublicKey", "sealingKeyArn", "ciphertext"];
  for (const key of Object.keys(record)) if (!allowed.includes(key)) problems.push(`unknown field ${key}`);
  if (record.schema !== RUNTIME_NATS_KEY_SCHEMA) problems.push(`schema must be ${RUNTIME_NATS_KEY_SCHEMA}`);
  if (record.environment !== environment) problems.push(`environment must be ${environment}`);
  const str = (key: string) => (typeof record[key] === "string" ? (record[key] as string) : "");
  if (!ACCOUNT_NKEY.test(str("signingPublicKey"))) problems.push("signingPublicKey must be an account nkey (A…)");
  if (!KEY_ARN.test(str("sealingKeyArn"))) problems.push("sealingKeyArn must be a KMS key ARN");
  const ciphertext = str("ciphertext");
  if (!BASE64.test(ciphertext) || ciphertext.length % 4 !== 0 || ciphertext.length > MAX_CIPHERTEXT_BASE64) {
    problems.push("ciphertext must be base64 of a KMS ciphertext (at most 4 KiB)");
  }
  if (problems.length > 0) throw new Error(`runtime NATS key ${where}: ${problems.join("; ")}`);
  return {
    environment,
    signingPublicKey: str("signingPublicKey"),
    sealingKeyArn: str("sealingKeyArn"),
    ciphertext,
  };
}

/**
 * Reads `file`; undefined when it does not exist.
 * @throws Error with a one-line reason on a malformed file.
 */
export function readRuntimeNatsKey(file: string, environment: string): RuntimeNatsKey | undefined {
  if (!existsSync(file)) return undefined;
  return parseRuntimeNatsKey(readFileSync(file, "utf8"), file, environment);
}
