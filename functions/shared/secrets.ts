import type { Tracer } from "@aws-lambda-powertools/tracer";
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { $ZodType } from "zod/v4/core";
import { fromAwsError, VettidError } from "../../lib/errors";
import type { DeviceSigningKey } from "../../lib/nats-auth";
import type { AccountIssuer } from "../../lib/nats-claims";
import * as z from "../../lib/zod";
import { secretsManagerClient } from "./aws-clients";

/** Secret values are cached per container for 5 minutes: rotation takes effect within that. */
const CACHE_MS = 300_000;

/**
 * The reader of the edge's configuration: Secrets Manager at its endpoint (a stand-in
 * locally). Routes that mint or push JWTs pass it to `edgeHandler`, which calls it
 * once per container at init; only their bundles carry the Secrets Manager client.
 */
export function secretReaderFromConfig(
  config: { VETTID_SECRETS_ENDPOINT?: string | undefined },
  tracer?: Tracer,
): SecretReader {
  return createSecretReader(secretsManagerClient({ endpoint: config.VETTID_SECRETS_ENDPOINT, tracer }));
}

/** Reads JSON secrets from Secrets Manager, cached in the Lambda container. */
export interface SecretReader {
  json<T>(secretId: string, schema: $ZodType<T>): Promise<T>;
}

/**
 * A cached reader over a Secrets Manager client. A secret that cannot be read is
 * `UNAVAILABLE` (503, retryable), its cause the SDK's error as `fromAwsError` maps it.
 */
export function createSecretReader(secretsManager: Pick<SecretsManagerClient, "send">): SecretReader {
  const cache = new Map<string, { at: number; value: Promise<string> }>();
  return {
    async json(secretId, schema) {
      const hit = cache.get(secretId);
      let value = hit && Date.now() - hit.at < CACHE_MS ? hit.value : undefined;
      if (!value) {
        value = secretsManager.send(new GetSecretValueCommand({ SecretId: secretId })).then(
          (out) => {
            if (typeof out.SecretString !== "string" || out.SecretString.length === 0) {
              throw new Error(`secret ${secretId} has no SecretString`);
            }
            return out.SecretString;
          },
          (err: unknown) => {
            throw fromAwsError(err, "Secrets Manager GetSecretValue", { ownRequest: true });
          },
        );
        cache.set(secretId, { at: Date.now(), value });
        value.catch(() => cache.delete(secretId));
      }
      let text: string;
      try {
        text = await value;
      } catch (err) {
        throw new VettidError("UNAVAILABLE", `secret ${secretId} could not be read`, { cause: err });
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        // no cause: V8's JSON.parse message quotes the start of the text, i.e. of the secret
        throw new VettidError("UNAVAILABLE", `secret ${secretId} is not JSON`);
      }
      const result = z.safeParse(schema, parsed);
      if (!result.success) throw new VettidError("CONFIG_INVALID", `secret ${secretId} has the wrong shape`);
      return result.data;
    },
  };
}

const ACCOUNT_KEY = /^A[A-Z2-7]{55}$/;

/**
 * `VETTID_NATS_DEVICE_SIGNING_SECRET_ID`, the edge's only NATS secret: the account's
 * public key and the seed of the scoped device signing key (never an unscoped one: the
 * account JWT scopes this key to the device template, docs/decisions/0063).
 */
export const DeviceSigningSecretSchema = z.object({
  accountPublicKey: z.string().check(z.regex(ACCOUNT_KEY)),
  signingKeySeed: z.string().check(z.regex(/^SA[A-Z2-7]{56}$/)),
}) satisfies $ZodType<DeviceSigningKey>;

/**
 * `VETTID_NATS_OPERATOR_SECRET_ID`, read by the revocation publisher alone: what
 * re-issues the account JWT with new revocations: an operator signing key seed, the
 * account's public key and the public keys of its unscoped and scoped (device) signing
 * keys, and the creds of a system-account user that pushes claim updates.
 */
export const OperatorSecretSchema = z.object({
  operatorSigningKeySeed: z.string().check(z.regex(/^SO[A-Z2-7]{56}$/)),
  accountPublicKey: z.string().check(z.regex(ACCOUNT_KEY)),
  accountSigningKeys: z.array(z.string().check(z.regex(ACCOUNT_KEY))),
  deviceSigningKeys: z.array(z.string().check(z.regex(ACCOUNT_KEY))).check(z.minLength(1)),
  enclaveSigningKeys: z.optional(z.array(z.string().check(z.regex(ACCOUNT_KEY)))),
  systemUserCreds: z.string().check(z.minLength(1)),
}) satisfies $ZodType<AccountIssuer>;
export type OperatorSecret = z.infer<typeof OperatorSecretSchema>;
