import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { keyAdministration } from "../../../stacks/shared/key-policies";
import { policyDocument, type Statement } from "../../../stacks/shared/policy";
import { CONTEXT, synthFresh } from "../fresh-stack";
import { sealingKeyVaultContext } from "./sealing-key-vault-context";

const PCR0 = { StringEqualsIgnoreCase: { "kms:RecipientAttestation:PCR0": "a".repeat(96) } };

function sealingKey(condition: Statement["Condition"]) {
  return synthFresh((s) => {
    new KmsKey(s, "k", {
      policy: policyDocument([
        keyAdministration("arn:aws:iam::1:root"),
        {
          Sid: "Enclaves",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::1:role/host" },
          Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          Resource: "*",
          Condition: condition,
        },
      ]),
      tags: { "vettid:purpose": "vault-sealing" },
    });
  });
}

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
