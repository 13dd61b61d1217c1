import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsKeyPolicy } from "@cdktf/provider-aws/lib/kms-key-policy";
import { enclaveStatement } from "../../../stacks/keys";
import { lockedKeyAccountAccess, releaseRoleGovernsKey } from "../../../stacks/shared/key-policies";
import type { Statement } from "../../../stacks/shared/policy";
import { CONTEXT, synthFresh } from "../fresh-stack";
import type { IamStatement } from "../terraform";
import { sealingKeyUnreleased } from "./sealing-key-unreleased";

/** Before the first release: the manifest approves no PCR0. */
const UNRELEASED = { ...CONTEXT, activePcr0s: [] };
const LOCKED = [lockedKeyAccountAccess("arn:aws:iam::1:root"), ...releaseRoleGovernsKey(CONTEXT.releaseRoleArn)];
const RELEASE = {
  id: "r1",
  pcr0: "a".repeat(96),
  status: "active",
  approvedAt: "2025-12-25T00:00:00Z",
  activatesAt: "2026-01-01T00:00:00Z",
  validUntil: null,
  eifSha384: null,
} as const;

/** Written as raw JSON, so an example may use NotAction (the stacks' Statement type has none). */
const document = (statements: (Statement | IamStatement)[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });

function sealingKey(extra: IamStatement[], options: { tagged?: boolean; separate?: IamStatement[] } = {}) {
  return synthFresh((s) => {
    const key = new KmsKey(s, "k", {
      policy: document([...LOCKED, ...extra]),
      tags: options.tagged === false ? {} : { "vettid:purpose": "vault-sealing" },
    });
    if (options.separate) new KmsKeyPolicy(s, "p", { keyId: key.id, policy: document(options.separate) });
  });
}

const allow = (grant: Partial<IamStatement>): IamStatement => ({
  Sid: "Grant",
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam::1:role/someone" },
  Resource: "*",
  ...grant,
});

describe("rule sealing-key-unreleased", () => {
  it("passes a locked key with no enclave statement before the first release", () => {
    expect(sealingKeyUnreleased.check(sealingKey([]), UNRELEASED)).toEqual([]);
  });
  it("passes a key with enclave grants once a release is active (sealing-key-pcr0 judges them)", () => {
    const synth = sealingKey([enclaveStatement("arn:aws:iam::1:role/host", RELEASE, "2027-01-01T00:00:00Z")]);
    expect(sealingKeyUnreleased.check(synth, CONTEXT)).toEqual([]);
  });
  it("fails an attested enclave grant before the first release", () => {
    const synth = sealingKey([enclaveStatement("arn:aws:iam::1:role/host", RELEASE, "2027-01-01T00:00:00Z")]);
    expect(sealingKeyUnreleased.check(synth, UNRELEASED)).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/AttestedEnclaver1 allows kms:Decrypt, kms:GenerateDataKey/),
      }),
    ]);
  });
  it.each([
    ["a wildcard action", allow({ Action: "kms:*" })],
    ["a prefix wildcard", allow({ Action: "kms:GenerateDataKey*" })],
    ["re-encryption", allow({ Action: "kms:ReEncrypt*" })],
    ["NotAction", allow({ NotAction: "kms:PutKeyPolicy" })],
    ["the account root", allow({ Principal: { AWS: "arn:aws:iam::1:root" }, Action: "kms:Decrypt" })],
  ])("fails %s before the first release", (_what, grant) => {
    expect(sealingKeyUnreleased.check(sealingKey([grant]), UNRELEASED)).not.toEqual([]);
  });
  it("fails a grant in a separate key policy resource", () => {
    const synth = sealingKey([], { separate: [...(LOCKED as IamStatement[]), allow({ Action: "kms:Decrypt" })] });
    expect(sealingKeyUnreleased.check(synth, UNRELEASED)).toEqual([
      expect.objectContaining({ message: expect.stringContaining("allows kms:Decrypt") }),
    ]);
  });
  it("fails when there is no sealing key at all", () => {
    expect(sealingKeyUnreleased.check(sealingKey([], { tagged: false }), UNRELEASED)).toEqual([
      expect.objectContaining({ message: "no vault sealing key in the app" }),
    ]);
  });
});
