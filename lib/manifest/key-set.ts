import type { JWK } from "jose";
import { VettidError } from "../errors";
import * as z from "../zod";
import { MANIFEST_ALG, MAX_RELEASE_KEYS } from "./constants";

/**
 * A base64url P-256 coordinate: 32 bytes = 43 characters, canonically encoded. The last
 * character carries 4 bits and 2 spare ones that decoders ignore; they must be zero, or
 * one key could be listed twice under two spellings and count as two signers.
 */
const coordinate = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, "must be a canonical base64url P-256 coordinate"));

/** A release public key as a JWK (what `vettid manifest keygen --public` writes). */
export const ReleasePublicJwkSchema = z.strictObject({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: coordinate,
  y: coordinate,
  kid: z.string().check(z.regex(/^[A-Za-z0-9._:-]{1,128}$/, "must be 1-128 of [A-Za-z0-9._:-]")),
  alg: z.optional(z.literal(MANIFEST_ALG)),
  use: z.optional(z.literal("sig")),
});

/**
 * One release key and who holds it. `owner` names the custodian, e.g. `aws:<account
 * id>` for a KMS key or `offline:<name>` for a hardware token: the signatures that meet
 * the threshold must come from distinct owners, so the M signers never all sit in one
 * AWS account (decision 0067).
 */
export const ReleaseKeySchema = z.strictObject({
  owner: z.string().check(z.regex(/^[a-z0-9][a-z0-9:._-]{0,63}$/, "must be 1-64 of [a-z0-9:._-]")),
  jwk: ReleasePublicJwkSchema,
});

/**
 * A release key set: M (`threshold`) of its N keys, of M distinct owners, must sign a
 * manifest. Key ids and key material are unique (one key listed twice under two
 * owners would count twice), and the threshold is reachable with distinct owners.
 */
export const ReleaseKeySetSchema = z
  .strictObject({
    threshold: z.number().check(z.int(), z.gte(1), z.lte(MAX_RELEASE_KEYS)),
    keys: z.array(ReleaseKeySchema).check(z.minLength(1), z.maxLength(MAX_RELEASE_KEYS)),
  })
  .check(
    z.refine((s) => new Set(s.keys.map((k) => k.jwk.kid)).size === s.keys.length, {
      message: "key ids must be unique",
      path: ["keys"],
    }),
    z.refine((s) => new Set(s.keys.map((k) => `${k.jwk.x}.${k.jwk.y}`)).size === s.keys.length, {
      message: "a key may be listed only once",
      path: ["keys"],
    }),
    z.refine((s) => new Set(s.keys.map((k) => k.owner)).size >= s.threshold, {
      message: "the threshold needs at least as many distinct owners",
      path: ["threshold"],
    }),
  );

export type ReleasePublicJwk = z.infer<typeof ReleasePublicJwkSchema>;
export type ReleaseKey = z.infer<typeof ReleaseKeySchema>;
export type ReleaseKeySet = z.infer<typeof ReleaseKeySetSchema>;

/**
 * Parses a release key set given as an object or JSON text (a pinned trust anchor file).
 * @throws VettidError MANIFEST_INVALID with the first schema issue.
 */
export function parseReleaseKeySet(value: ReleaseKeySet | string): ReleaseKeySet {
  let raw: unknown = value;
  if (typeof value === "string") {
    try {
      raw = JSON.parse(value);
    } catch (err) {
      throw new VettidError("MANIFEST_INVALID", "the release key set is not JSON", { cause: err });
    }
  }
  const parsed = z.safeParse(ReleaseKeySetSchema, raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new VettidError(
      "MANIFEST_INVALID",
      `release key set: ${first?.path.join(".") || "(root)"} ${first?.message}`,
    );
  }
  return parsed.data;
}

/** True when two key sets have the same threshold and the same keys with the same owners (order aside). */
export function sameKeySet(a: ReleaseKeySet, b: ReleaseKeySet): boolean {
  const canon = (s: ReleaseKeySet) =>
    JSON.stringify([
      s.threshold,
      s.keys.map((k) => [k.jwk.kid, k.owner, k.jwk.x, k.jwk.y]).sort((p, q) => (p[0]! < q[0]! ? -1 : 1)),
    ]);
  return canon(a) === canon(b);
}

/**
 * Builds a key set from public JWKs and their owners.
 *
 * @example
 * const set = releaseKeySet(2, [{ owner: "aws:111111111111", jwk: a.publicKey }, { owner: "aws:222222222222", jwk: b.publicKey }]);
 */
export function releaseKeySet(threshold: number, keys: { owner: string; jwk: JWK }[]): ReleaseKeySet {
  return parseReleaseKeySet({
    threshold,
    keys: keys.map(({ owner, jwk }) => ({
      owner,
      jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: jwk.kid, alg: MANIFEST_ALG, use: "sig" },
    })) as ReleaseKey[],
  });
}
