import { CONTEXT } from "../fresh-stack";
import { PCR0_CONDITION as PCR0, sealingKeyGranting as sealingKey, sealingKeyDecrypting } from "./sealing-key.examples";
import { sealingKeyVaultContext } from "./sealing-key-vault-context";

describe("rule sealing-key-vault-context", () => {
  it("passes a grant that requires a vault's encryption context", () => {
    const synth = sealingKey({ ...PCR0, StringLike: { "kms:EncryptionContext:vault": "vlt_*" } });
    expect(sealingKeyVaultContext.check(synth, CONTEXT)).toEqual([]);
  });
  it("fails a grant without the encryption-context condition", () => {
    expect(sealingKeyVaultContext.check(sealingKey(PCR0), CONTEXT)).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/without kms:EncryptionContext:vault/) }),
    ]);
  });
  it("fails a grant whose pattern admits any context", () => {
    const synth = sealingKey({ ...PCR0, StringLike: { "kms:EncryptionContext:vault": "*" } });
    expect(sealingKeyVaultContext.check(synth, CONTEXT)).not.toEqual([]);
  });
  describe("the runtime's sealed NATS key", () => {
    const natsKey = {
      StringEquals: { "kms:EncryptionContext:purpose": "vettid-runtime-nats-key" },
      "ForAllValues:StringEquals": { "kms:EncryptionContextKeys": ["purpose"] },
    };
    it("passes a Decrypt-only grant pinned to exactly its context", () => {
      expect(sealingKeyVaultContext.check(sealingKeyDecrypting({ ...PCR0, ...natsKey }), CONTEXT)).toEqual([]);
    });
    it("fails it with GenerateDataKey, another purpose, or other context keys allowed", () => {
      const cases = [
        sealingKey({ ...PCR0, ...natsKey }),
        sealingKeyDecrypting({
          ...PCR0,
          ...natsKey,
          StringEquals: { "kms:EncryptionContext:purpose": "anything" },
        }),
        sealingKeyDecrypting({ ...PCR0, StringEquals: natsKey.StringEquals }),
        sealingKeyDecrypting({
          ...PCR0,
          ...natsKey,
          "ForAllValues:StringEquals": { "kms:EncryptionContextKeys": ["purpose", "vault"] },
        }),
      ];
      for (const synth of cases) expect(sealingKeyVaultContext.check(synth, CONTEXT)).not.toEqual([]);
    });
  });
});
