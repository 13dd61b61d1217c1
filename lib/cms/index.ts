/**
 * CMS EnvelopedData as returned by AWS KMS for a Nitro Enclave recipient
 * (RSAES-OAEP-SHA-256 key transport, AES-256-CBC content), and the enclave's
 * ephemeral RSA recipient key.
 */
export { CBC_IV_BYTES, CONTENT_KEY_BYTES, MAX_ENVELOPED_DATA_BYTES, OIDS } from "./constants";
export { createEnvelopedData, openEnvelopedData } from "./enveloped-data";
export { generateRecipientKeyPair, RECIPIENT_RSA_BITS, type RecipientKeyPair } from "./ephemeral-key";
