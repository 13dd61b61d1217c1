import type { Frame } from "../../../lib/frames";
import { KMS_OPS } from "../../../lib/proxy-protocol";
import { kmsChannel } from "../../../vsock-proxy/channels/kms";
import type { KmsUpstream } from "../../../vsock-proxy/upstreams/types";

/** A KMS upstream that records every call it would forward. */
function recordingKms(): { kms: KmsUpstream; calls: string[] } {
  const calls: string[] = [];
  const kms: KmsUpstream = {
    async generateDataKey(input) {
      calls.push(`GenerateDataKey ${input.keyId}`);
      return { keyId: input.keyId, ciphertextBlob: new Uint8Array([1]), ciphertextForRecipient: new Uint8Array([2]) };
    },
    async decrypt(input) {
      calls.push(`Decrypt ${input.keyId ?? "(none)"}`);
      return { keyId: input.keyId ?? "arn:aws:kms:any", ciphertextForRecipient: new Uint8Array([2]) };
    },
  };
  return { kms, calls };
}

function kmsFrame(type: string, body: Record<string, unknown>): Frame {
  return { version: 1, channel: "kms", type, id: 1, body } as unknown as Frame;
}

const attestation = new Uint8Array([0xd2, 0x84]);

describe("kms channel of the proxy", () => {
  it("refuses a Decrypt without keyId when an allow list is configured, calling nothing", async () => {
    // Prepare
    const { kms, calls } = recordingKms();
    const handle = kmsChannel({ kms, allowedKeyIds: new Set(["alias/vettid-sealing"]) });

    // Act
    const refused = handle(kmsFrame(KMS_OPS.decrypt, { ciphertextBlob: new Uint8Array([9]), attestation }));

    // Assess
    await expect(refused).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(calls).toEqual([]);
  });

  it("refuses GenerateDataKey and Decrypt with an empty or missing attestation, calling nothing", async () => {
    // Prepare
    const { kms, calls } = recordingKms();
    const handle = kmsChannel({ kms });
    const bodies = [
      { keyId: "alias/k", numberOfBytes: 32, attestation: new Uint8Array(0) },
      { keyId: "alias/k", numberOfBytes: 32 },
    ];

    // Act
    const results = await Promise.allSettled([
      ...bodies.map((body) => handle(kmsFrame(KMS_OPS.generateDataKey, body))),
      ...bodies.map((body) => handle(kmsFrame(KMS_OPS.decrypt, { ...body, ciphertextBlob: new Uint8Array([9]) }))),
    ]);

    // Assess
    const refused = { status: "rejected", reason: expect.objectContaining({ code: "BAD_REQUEST" }) };
    expect(results).toEqual([refused, refused, refused, refused]);
    expect(calls).toEqual([]);
  });

  it("forwards a Decrypt naming an allowed key, and one without keyId when no allow list is set", async () => {
    // Prepare
    const { kms, calls } = recordingKms();
    const listed = kmsChannel({ kms, allowedKeyIds: new Set(["alias/vettid-sealing"]) });
    const open = kmsChannel({ kms });

    // Act
    await listed(
      kmsFrame(KMS_OPS.decrypt, { keyId: "alias/vettid-sealing", ciphertextBlob: new Uint8Array([9]), attestation }),
    );
    await open(kmsFrame(KMS_OPS.decrypt, { ciphertextBlob: new Uint8Array([9]), attestation }));

    // Assess
    expect(calls).toEqual(["Decrypt alias/vettid-sealing", "Decrypt (none)"]);
  });
});
