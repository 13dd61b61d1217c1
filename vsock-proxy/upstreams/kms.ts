import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { VettidError } from "../../lib/errors";
import { fromAwsError } from "./errors";
import type { KmsUpstream } from "./types";

/**
 * A {@link KmsUpstream} over `@aws-sdk/client-kms` with the host's credentials.
 * Every call carries `Recipient` with the enclave's attestation document, so KMS
 * answers with `CiphertextForRecipient` only. A response that nevertheless holds a
 * plaintext is refused and the plaintext is never forwarded or logged.
 */
export function kmsUpstream(client: KMSClient): KmsUpstream {
  return {
    async generateDataKey(input) {
      let out: {
        KeyId?: string;
        CiphertextBlob?: Uint8Array;
        CiphertextForRecipient?: Uint8Array;
        Plaintext?: Uint8Array;
      };
      try {
        out = await client.send(
          new GenerateDataKeyCommand({
            KeyId: input.keyId,
            NumberOfBytes: input.numberOfBytes,
            EncryptionContext: input.encryptionContext,
            Recipient: { AttestationDocument: input.attestation, KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256" },
          }),
        );
      } catch (err) {
        throw fromAwsError(err, "GenerateDataKey");
      }
      return {
        keyId: requireValue(out.KeyId, "KeyId"),
        ciphertextBlob: requireValue(out.CiphertextBlob, "CiphertextBlob"),
        ciphertextForRecipient: recipientOnly(out.CiphertextForRecipient, out.Plaintext),
      };
    },
    async decrypt(input) {
      let out: { KeyId?: string; CiphertextForRecipient?: Uint8Array; Plaintext?: Uint8Array };
      try {
        out = await client.send(
          new DecryptCommand({
            CiphertextBlob: input.ciphertextBlob,
            ...(input.keyId ? { KeyId: input.keyId } : {}),
            EncryptionContext: input.encryptionContext,
            Recipient: { AttestationDocument: input.attestation, KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256" },
          }),
        );
      } catch (err) {
        throw fromAwsError(err, "Decrypt");
      }
      return {
        keyId: requireValue(out.KeyId, "KeyId"),
        ciphertextForRecipient: recipientOnly(out.CiphertextForRecipient, out.Plaintext),
      };
    },
  };
}

function requireValue<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new VettidError("UNAVAILABLE", `KMS answer lacks ${name}`);
  return value;
}

function recipientOnly(ciphertext: Uint8Array | undefined, plaintext: Uint8Array | undefined): Uint8Array {
  if (plaintext && plaintext.length > 0) {
    plaintext.fill(0);
    throw new VettidError("INTERNAL", "KMS returned a plaintext for a Recipient request; refused");
  }
  return requireValue(ciphertext, "CiphertextForRecipient");
}
