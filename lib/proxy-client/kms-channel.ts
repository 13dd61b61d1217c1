import type { KeyObject } from "node:crypto";
import { MAX_ENVELOPED_DATA_BYTES, openEnvelopedData } from "../cms";
import {
  asRecord,
  KMS_OPS,
  MAX_CIPHERTEXT_BLOB_BYTES,
  MAX_KEY_ID_LENGTH,
  readBytes,
  readString,
} from "../proxy-protocol";
import type { Requester } from "./requester";

/** Default data key length: an AES-256 key. */
const DATA_KEY_BYTES = 32;

/** The enclave's attested recipient: the document binds `privateKey`'s public half. */
export interface KmsRecipient {
  /** An attestation document whose `public_key` is the DER SPKI of `privateKey`'s public key. */
  attestationDocument: Uint8Array;
  privateKey: KeyObject;
}

/** Result of {@link KmsChannel.generateDataKey}. */
export interface GeneratedDataKey {
  keyId: string;
  /** The data key, decrypted inside the enclave from `CiphertextForRecipient`. */
  plaintext: Uint8Array;
  /** The data key encrypted under the KMS key: store it beside the sealed state. */
  ciphertextBlob: Uint8Array;
}

/**
 * The `kms` channel of the enclave-side client. Every call carries the enclave's
 * attestation as `Recipient`, so KMS answers with a CMS EnvelopedData that only the
 * enclave's ephemeral key opens; the proxy and host see ciphertext only.
 */
export class KmsChannel {
  constructor(private readonly request: Requester) {}

  /** GenerateDataKey (AES-256 by default) with Recipient; the plaintext is opened here. */
  async generateDataKey(params: {
    keyId: string;
    recipient: KmsRecipient;
    numberOfBytes?: number;
    encryptionContext?: Record<string, string>;
  }): Promise<GeneratedDataKey> {
    const numberOfBytes = params.numberOfBytes ?? DATA_KEY_BYTES;
    const body = asRecord(
      await this.request("kms", KMS_OPS.generateDataKey, {
        keyId: params.keyId,
        numberOfBytes,
        encryptionContext: params.encryptionContext ?? {},
        attestation: params.recipient.attestationDocument,
      }),
    );
    const envelope = readBytes(body, "ciphertextForRecipient", MAX_ENVELOPED_DATA_BYTES);
    return {
      keyId: readString(body, "keyId", MAX_KEY_ID_LENGTH),
      plaintext: openEnvelopedData(envelope, params.recipient.privateKey, numberOfBytes),
      ciphertextBlob: readBytes(body, "ciphertextBlob", MAX_CIPHERTEXT_BLOB_BYTES),
    };
  }

  /** Decrypt with Recipient: recovers a data key from its stored `ciphertextBlob`. */
  async decrypt(params: {
    ciphertextBlob: Uint8Array;
    recipient: KmsRecipient;
    keyId?: string;
    /** Length of the data key (default 32); any other plaintext fails like a wrong key. */
    numberOfBytes?: number;
    encryptionContext?: Record<string, string>;
  }): Promise<{ keyId: string; plaintext: Uint8Array }> {
    const body = asRecord(
      await this.request("kms", KMS_OPS.decrypt, {
        ciphertextBlob: params.ciphertextBlob,
        keyId: params.keyId ?? null,
        encryptionContext: params.encryptionContext ?? {},
        attestation: params.recipient.attestationDocument,
      }),
    );
    const envelope = readBytes(body, "ciphertextForRecipient", MAX_ENVELOPED_DATA_BYTES);
    return {
      keyId: readString(body, "keyId", MAX_KEY_ID_LENGTH),
      plaintext: openEnvelopedData(envelope, params.recipient.privateKey, params.numberOfBytes ?? DATA_KEY_BYTES),
    };
  }
}
