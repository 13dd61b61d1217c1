import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { createUser, fromSeed } from "@nats-io/nkeys";

/**
 * The device's three key pairs, all generated on the device; the private halves
 * never leave it (the edge sees public keys only).
 */
export interface DeviceKeys {
  /** Ed25519: signs credential refresh and revocation requests. */
  signing: { seed: string; publicKey: string };
  /** X25519: the device's static key for vault sessions. */
  exchange: { privateKey: string; publicKey: string };
  /** The NATS user nkey; its seed goes into nats.creds only. */
  nats: { seed: string; publicKey: string };
}

const rawPrivate = (key: KeyObject) => Buffer.from(key.export({ format: "der", type: "pkcs8" })).subarray(-32);
const rawPublic = (key: KeyObject) => Buffer.from(key.export({ format: "der", type: "spki" })).subarray(-32);

/** Generates fresh device keys (base64url raw 32-byte values; the nkey in its own encoding). */
export function generateDeviceKeys(): DeviceKeys {
  const signing = generateKeyPairSync("ed25519");
  const exchange = generateKeyPairSync("x25519");
  const nats = createUser();
  return {
    signing: {
      seed: rawPrivate(signing.privateKey).toString("base64url"),
      publicKey: rawPublic(signing.publicKey).toString("base64url"),
    },
    exchange: {
      privateKey: rawPrivate(exchange.privateKey).toString("base64url"),
      publicKey: rawPublic(exchange.publicKey).toString("base64url"),
    },
    nats: { seed: new TextDecoder().decode(nats.getSeed()), publicKey: nats.getPublicKey() },
  };
}

/** Checks that stored keys are consistent (public halves derive from the private ones). */
export function checkDeviceKeys(keys: DeviceKeys): void {
  const pkcs8 = (prefix: string, raw: string) =>
    createPrivateKey({
      key: Buffer.concat([Buffer.from(prefix, "hex"), Buffer.from(raw, "base64url")]),
      format: "der",
      type: "pkcs8",
    });
  const ed = createPublicKey(pkcs8("302e020100300506032b657004220420", keys.signing.seed));
  const x = createPublicKey(pkcs8("302e020100300506032b656e04220420", keys.exchange.privateKey));
  if (rawPublic(ed).toString("base64url") !== keys.signing.publicKey) throw new Error("signing key pair mismatch");
  if (rawPublic(x).toString("base64url") !== keys.exchange.publicKey) throw new Error("exchange key pair mismatch");
  if (fromSeed(new TextEncoder().encode(keys.nats.seed)).getPublicKey() !== keys.nats.publicKey) {
    throw new Error("nats key pair mismatch");
  }
}
