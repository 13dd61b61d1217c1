import { CONTEXT } from "../fresh-stack";
import { PCR0_CONDITION as PCR0, sealingKeyGranting as sealingKey } from "./sealing-key.examples";
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
});
