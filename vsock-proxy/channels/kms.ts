import { VettidError } from "../../lib/errors";
import type { Frame, FrameValue } from "../../lib/frames";
import {
  asRecord,
  type BodyRecord,
  KMS_OPS,
  MAX_ATTESTATION_BYTES,
  MAX_CIPHERTEXT_BLOB_BYTES,
  MAX_KEY_ID_LENGTH,
  readBytes,
  readInteger,
  readOptionalString,
  readString,
} from "../../lib/proxy-protocol";
import type { KmsUpstream } from "../upstreams/types";

/** KMS limits: at most 10 encryption-context pairs here (vault id, purpose, …), each ≤ 256 characters. */
const MAX_CONTEXT_ENTRIES = 10;
const MAX_CONTEXT_VALUE_LENGTH = 256;
/** KMS GenerateDataKey accepts 1..1024 bytes. */
const MAX_DATA_KEY_BYTES = 1_024;

/** Dependencies of the `kms` channel. */
export interface KmsChannelDeps {
  kms: KmsUpstream;
  /** Key ids (or ARNs) the enclave may use; absent = any (the key policy is the fence). */
  allowedKeyIds?: ReadonlySet<string>;
}

/**
 * The `kms` channel: GenerateDataKey and Decrypt, always with the enclave's
 * attestation as `Recipient`, forwarded with the host's credentials. The answer is
 * `CiphertextForRecipient` (CMS to the enclave's attested key): the host never holds
 * a plaintext key.
 */
export function kmsChannel(deps: KmsChannelDeps): (frame: Frame) => Promise<FrameValue> {
  return async (frame): Promise<FrameValue> => {
    const body = asRecord(frame.body);
    const attestation = readBytes(body, "attestation", MAX_ATTESTATION_BYTES);
    // Never forward a Recipient without a document: KMS must see one to encrypt to.
    if (attestation.length === 0) throw new VettidError("BAD_REQUEST", "attestation must not be empty");
    const encryptionContext = readContext(body);
    if (frame.type === KMS_OPS.generateDataKey) {
      const keyId = allowedKey(readString(body, "keyId", MAX_KEY_ID_LENGTH), deps);
      const numberOfBytes = readInteger(body, "numberOfBytes", 1, MAX_DATA_KEY_BYTES);
      const out = await deps.kms.generateDataKey({ keyId, numberOfBytes, encryptionContext, attestation });
      return {
        keyId: out.keyId,
        ciphertextBlob: out.ciphertextBlob,
        ciphertextForRecipient: out.ciphertextForRecipient,
      };
    }
    if (frame.type === KMS_OPS.decrypt) {
      const keyIdText = readOptionalString(body, "keyId", MAX_KEY_ID_LENGTH);
      // With an allow list, a Decrypt must name its key: without KeyId, KMS picks the key
      // from the ciphertext blob, and any key the host's role may use would be reachable.
      if (keyIdText === undefined && deps.allowedKeyIds) {
        throw new VettidError("FORBIDDEN", "Decrypt must name an allowed keyId");
      }
      const keyId = keyIdText === undefined ? undefined : allowedKey(keyIdText, deps);
      const ciphertextBlob = readBytes(body, "ciphertextBlob", MAX_CIPHERTEXT_BLOB_BYTES);
      const out = await deps.kms.decrypt({ ciphertextBlob, keyId, encryptionContext, attestation });
      return { keyId: out.keyId, ciphertextForRecipient: out.ciphertextForRecipient };
    }
    throw new VettidError("BAD_REQUEST", "unknown kms operation");
  };
}

function allowedKey(keyId: string, deps: KmsChannelDeps): string {
  if (deps.allowedKeyIds && !deps.allowedKeyIds.has(keyId)) {
    throw new VettidError("FORBIDDEN", "this key may not be used through the proxy");
  }
  return keyId;
}

function readContext(body: BodyRecord): Record<string, string> {
  const value = body.encryptionContext;
  if (value === undefined || value === null) return {};
  const record = asRecord(value);
  const entries = Object.entries(record);
  if (entries.length > MAX_CONTEXT_ENTRIES)
    throw new VettidError("BAD_REQUEST", "encryptionContext has too many entries");
  const out: Record<string, string> = {};
  for (const [key, item] of entries) {
    if (key.length === 0 || key.length > MAX_CONTEXT_VALUE_LENGTH) {
      throw new VettidError("BAD_REQUEST", "encryptionContext keys must be 1..256 characters");
    }
    if (typeof item !== "string" || item.length > MAX_CONTEXT_VALUE_LENGTH) {
      throw new VettidError("BAD_REQUEST", "encryptionContext values must be text of at most 256 characters");
    }
    out[key] = item;
  }
  return out;
}
