import { createEnvelopedData, generateRecipientKeyPair, openEnvelopedData } from "../../../lib/cms";
import type { FrameValue } from "../../../lib/frames";
import { KmsChannel } from "../../../lib/proxy-client/kms-channel";

const keys = generateRecipientKeyPair();
const other = generateRecipientKeyPair();
const recipient = { attestationDocument: new Uint8Array([0xd2]), privateKey: keys.privateKey };

/** A proxy that answers every kms request with `envelope`, as a forging host could. */
function forgingProxy(envelope: Uint8Array): KmsChannel {
  return new KmsChannel(
    async (): Promise<FrameValue> => ({
      keyId: "alias/vettid-sealing",
      ciphertextBlob: new Uint8Array([1, 2, 3]),
      ciphertextForRecipient: envelope,
    }),
  );
}

function wrongKeyMessage(): string {
  try {
    openEnvelopedData(createEnvelopedData(keys.publicKeySpki, new Uint8Array(32)), other.privateKey);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected a failure");
}

describe("enclave-side kms channel", () => {
  it("opens a data key of the requested length", async () => {
    // Prepare
    const dataKey = new Uint8Array(32).fill(7);
    const kms = forgingProxy(createEnvelopedData(keys.publicKeySpki, dataKey));

    // Act
    const generated = await kms.generateDataKey({ keyId: "alias/vettid-sealing", recipient });
    const decrypted = await kms.decrypt({ ciphertextBlob: new Uint8Array([1]), recipient });

    // Assess
    expect(generated.plaintext).toEqual(dataKey);
    expect(decrypted.plaintext).toEqual(dataKey);
  });

  it("fails a re-padded or truncated data key exactly like a wrong key (no length oracle)", async () => {
    // Prepare: what a host gets by truncating or re-padding the CBC content — a plaintext
    // that opens, of the wrong length.
    const message = wrongKeyMessage();
    const shorter = forgingProxy(createEnvelopedData(keys.publicKeySpki, new Uint8Array(31).fill(7)));
    const longer = forgingProxy(createEnvelopedData(keys.publicKeySpki, new Uint8Array(47).fill(7)));

    // Act
    const generated = shorter.generateDataKey({ keyId: "alias/vettid-sealing", recipient });
    const decrypted = longer.decrypt({ ciphertextBlob: new Uint8Array([1]), recipient });

    // Assess
    await expect(generated).rejects.toMatchObject({ code: "FORBIDDEN", message });
    await expect(decrypted).rejects.toMatchObject({ code: "FORBIDDEN", message });
  });
});
