/**
 * Regenerates the dev manifest (`dev-manifest.json`) and the dev release key set
 * (`dev-release-keys.json`): two fresh throwaway ES256 keys of two owners (threshold
 * 2), whose private halves are never written: dev synth only needs a manifest whose
 * signatures check. The PCRs are placeholders (SHA-384 of a label), not a real enclave
 * image; staging and prod use the manifests the release owners sign (decision 0067).
 * The release keeps the 7-day activation delay the stacks require, and the manifest
 * is valid for ten years so that dev synthesis does not depend on re-signing.
 *
 * Run: `npx tsx stacks/config/make-dev-manifest.ts`
 */
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const placeholder = (label: string): string =>
  createHash("sha384").update(`vettid dev placeholder ${label}`).digest("hex");

const owners = ["dev:release-a", "dev:release-b"];
const keys = owners.map((owner, i) => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kid = `vettid-dev-${i + 1}`;
  return { owner, privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" } };
});
const keySet = { threshold: 2, keys: keys.map((k) => ({ owner: k.owner, jwk: k.jwk })) };

const payload = {
  schema: "vettid.pcr-manifest/v2",
  serial: 1,
  previous: null,
  issued_at: "2026-11-28T00:00:00Z",
  expires_at: "2036-11-28T00:00:00Z",
  keys: keySet,
  releases: [
    {
      id: "dev-0",
      pcr0: placeholder("pcr0"),
      pcr1: placeholder("pcr1"),
      pcr2: placeholder("pcr2"),
      status: "active",
      approved_at: "2026-11-28T00:00:00Z",
      activates_at: "2026-12-05T00:00:00Z",
      valid_until: null,
      build: { commit: "0000000000000000000000000000000000000000", bundle_sha384: placeholder("bundle") },
    },
  ],
};

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64url");
const body = b64(JSON.stringify(payload));
const signatures = keys.map((k) => {
  const protectedHeader = b64(JSON.stringify({ alg: "ES256", kid: k.jwk.kid }));
  const signature = sign("sha256", Buffer.from(`${protectedHeader}.${body}`), {
    key: k.privateKey,
    dsaEncoding: "ieee-p1363",
  });
  return { protected: protectedHeader, signature: signature.toString("base64url") };
});
writeFileSync(join(__dirname, "dev-manifest.json"), `${JSON.stringify({ payload: body, signatures }, null, 2)}\n`);
writeFileSync(join(__dirname, "dev-release-keys.json"), `${JSON.stringify(keySet, null, 2)}\n`);
process.stdout.write("wrote stacks/config/dev-manifest.json and dev-release-keys.json\n");
