/**
 * The sealing key's grant for the runtime's sealed NATS key and the context the runtime
 * decrypts it with are one value: if they drifted, every enclave's NATS key would fail
 * to open (or, worse, a wider context would be granted).
 */
import { RUNTIME_NATS_KEY_CONTEXT } from "../../../lib/runtime-config";
import { natsKeyContextCondition, RUNTIME_NATS_KEY_PURPOSE } from "../../../stacks/keys";

describe("the sealed NATS key's encryption context", () => {
  it("is the same in the key policy and in the runtime, and the policy admits no other context key", () => {
    // Act
    const condition = natsKeyContextCondition();

    // Assess
    expect(RUNTIME_NATS_KEY_CONTEXT).toEqual({ purpose: RUNTIME_NATS_KEY_PURPOSE });
    expect(condition.StringEquals).toEqual({ "kms:EncryptionContext:purpose": RUNTIME_NATS_KEY_CONTEXT.purpose });
    expect(condition["ForAllValues:StringEquals"]).toEqual({
      "kms:EncryptionContextKeys": Object.keys(RUNTIME_NATS_KEY_CONTEXT),
    });
  });
});
