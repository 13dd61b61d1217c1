import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { keyAdministration } from "../../../stacks/shared/key-policies";
import { policyDocument, type Statement } from "../../../stacks/shared/policy";
import { CONTEXT, synthFresh } from "../fresh-stack";
import { sealingKeyTimeWindow } from "./sealing-key-time-window";

const PCR0 = { StringEqualsIgnoreCase: { "kms:RecipientAttestation:PCR0": "a".repeat(96) } };
const OPENS = { DateGreaterThan: { "aws:CurrentTime": "2026-12-05T00:00:00Z" } };
const CLOSES = { DateLessThan: { "aws:CurrentTime": "2027-02-26T00:00:00Z" } };

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

describe("rule sealing-key-time-window", () => {
  it("passes a grant that opens at the release's activation and closes at expiry", () => {
    expect(sealingKeyTimeWindow.check(sealingKey({ ...PCR0, ...OPENS, ...CLOSES }), CONTEXT)).toEqual([]);
  });
  it("fails a grant without an activation time (no activation delay)", () => {
    expect(sealingKeyTimeWindow.check(sealingKey({ ...PCR0, ...CLOSES }), CONTEXT)).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/without DateGreaterThan aws:CurrentTime/) }),
    ]);
  });
  it("fails a grant that never closes (a manifest that never expires)", () => {
    expect(sealingKeyTimeWindow.check(sealingKey({ ...PCR0, ...OPENS }), CONTEXT)).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/without DateLessThan aws:CurrentTime/) }),
    ]);
  });
});
