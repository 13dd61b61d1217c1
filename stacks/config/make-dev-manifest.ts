/**
 * Regenerates the dev manifest (`dev-manifest.json`) and its public key
 * (`dev-manifest-key.jwk.json`) with a fresh throwaway ES256 key whose private half is
 * never written: dev synth only needs a manifest whose signature checks. The PCRs are
 * placeholders (SHA-384 of a label), not a real enclave image; staging and prod use the
 * manifest the release pipeline signs with the KMS key.
 *
 * Run: `npx tsx stacks/config/make-dev-manifest.ts`
 */
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const placeholder = (label: string): string =>
  createHash("sha384").update(`vettid dev placeholder ${label}`).digest("hex");

const payload = {
  schema: "vettid.pcr-manifest/v1",
  serial: 1,
  issued_at: "2026-11-28T00:00:00Z",
  releases: [
    {
      id: "dev-0",
      pcr0: placeholder("pcr0"),
      pcr1: placeholder("pcr1"),
      pcr2: placeholder("pcr2"),
      status: "active",
      valid_from: "2026-11-28T00:00:00Z",
      valid_until: null,
      build: { commit: "0000000000000000000000000000000000000000", bundle_sha384: placeholder("bundle") },
    },
  ],
};

const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const jwk = { ...publicKey.export({ format: "jwk" }), kid: "vettid-dev-1", alg: "ES256", use: "sig" };
const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64url");
const protectedHeader = b64(JSON.stringify({ alg: "ES256", kid: jwk.kid }));
const body = b64(JSON.stringify(payload));
const signature = sign("sha256", Buffer.from(`${protectedHeader}.${body}`), {
  key: privateKey,
  dsaEncoding: "ieee-p1363",
});
const jws = { protected: protectedHeader, payload: body, signature: signature.toString("base64url") };
writeFileSync(join(__dirname, "dev-manifest.json"), `${JSON.stringify(jws, null, 2)}\n`);
writeFileSync(join(__dirname, "dev-manifest-key.jwk.json"), `${JSON.stringify(jwk, null, 2)}\n`);
process.stdout.write("wrote stacks/config/dev-manifest.json and dev-manifest-key.jwk.json\n");
