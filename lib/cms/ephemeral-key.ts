import { generateKeyPairSync, type KeyObject } from "node:crypto";

/**
 * RSA modulus of the enclave's per-boot recipient key. KMS accepts 2048-bit and
 * larger keys; 2048 bits is what the AWS Nitro Enclaves SDK generates and keeps
 * key generation inside the enclave's start-up budget.
 */
export const RECIPIENT_RSA_BITS = 2048;

/** The enclave's ephemeral RSA key pair for KMS `Recipient`. */
export interface RecipientKeyPair {
  privateKey: KeyObject;
  /** DER SubjectPublicKeyInfo: what goes into the attestation document's `public_key`. */
  publicKeySpki: Uint8Array;
}

/** Generates a fresh recipient key pair; keep the private key in enclave memory only. */
export function generateRecipientKeyPair(): RecipientKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: RECIPIENT_RSA_BITS });
  return { privateKey, publicKeySpki: new Uint8Array(publicKey.export({ type: "spki", format: "der" })) };
}
