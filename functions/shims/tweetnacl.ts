/**
 * The part of `tweetnacl` that `@nats-io/nkeys` uses for Ed25519, on node:crypto.
 * The edge bundles alias `tweetnacl` to this file (functions/build.ts): it signs
 * and verifies exactly like tweetnacl (tests/unit/edge/tweetnacl-shim.test.ts) and
 * saves 33 KB per bundle. X25519 boxes are not used by the edge and throw.
 */
import { createPrivateKey, createPublicKey, randomBytes as nodeRandomBytes, sign, verify } from "node:crypto";

const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

function privateKey(seed: Uint8Array) {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed.subarray(0, 32)]), format: "der", type: "pkcs8" });
}

function fromSeed(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  if (seed.length !== 32) throw new Error("bad seed size");
  const spki = createPublicKey(privateKey(seed)).export({ format: "der", type: "spki" });
  const publicKey = new Uint8Array(spki.subarray(SPKI_PREFIX.length));
  const secretKey = new Uint8Array(64);
  secretKey.set(seed, 0);
  secretKey.set(publicKey, 32);
  return { publicKey, secretKey };
}

function detached(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== 64) throw new Error("bad secret key size");
  return new Uint8Array(sign(null, message, privateKey(secretKey.subarray(0, 32))));
}

detached.verify = (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean => {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
};

const unsupported = () => {
  throw new Error("X25519 boxes are not available in the edge bundles");
};
const box = Object.assign(unsupported, { open: unsupported });

const nacl = {
  sign: { keyPair: { fromSeed }, detached },
  randomBytes: (n: number) => new Uint8Array(nodeRandomBytes(n)),
  scalarMult: { base: unsupported },
  box,
};

export default nacl;
