import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { keyAdministration } from "../../../stacks/shared/key-policies";
import { policyDocument, type Statement } from "../../../stacks/shared/policy";
import { CONTEXT, synthFresh } from "../fresh-stack";
import { sealingKeyPcr0 } from "./sealing-key-pcr0";

const ACTIVE = "a".repeat(96);
const STRANGER = "b".repeat(96);

function sealingKey(grant: Statement, tagged = true) {
  return synthFresh((s) => {
    new KmsKey(s, "k", {
      policy: policyDocument([keyAdministration("arn:aws:iam::1:root"), grant]),
      tags: tagged ? { "vettid:purpose": "vault-sealing" } : {},
    });
  });
}

const grant = (condition?: Statement["Condition"]): Statement => ({
  Sid: "Enclaves",
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam::1:role/host" },
  Action: ["kms:Decrypt", "kms:GenerateDataKey"],
  Resource: "*",
  ...(condition ? { Condition: condition } : {}),
});

describe("rule sealing-key-pcr0", () => {
  it("passes a grant conditioned on an active PCR0 (case-insensitive compare)", () => {
    const synth = sealingKey(
      grant({ StringEqualsIgnoreCase: { "kms:RecipientAttestation:PCR0": [ACTIVE.toUpperCase()] } }),
    );
    expect(sealingKeyPcr0.check(synth, CONTEXT)).toEqual([]);
  });
  it("passes a key with no enclave grant before the first release (no active PCR0)", () => {
    const synth = synthFresh((s) => {
      new KmsKey(s, "k", {
        policy: policyDocument([keyAdministration("arn:aws:iam::1:root")]),
        tags: { "vettid:purpose": "vault-sealing" },
      });
    });
    expect(sealingKeyPcr0.check(synth, { ...CONTEXT, activePcr0s: [] })).toEqual([]);
  });
  it("fails a key with no enclave grant while a release is active", () => {
    const synth = synthFresh((s) => {
      new KmsKey(s, "k", {
        policy: policyDocument([keyAdministration("arn:aws:iam::1:root")]),
        tags: { "vettid:purpose": "vault-sealing" },
      });
    });
    expect(sealingKeyPcr0.check(synth, CONTEXT)).toEqual([
      expect.objectContaining({ message: "no statement lets an attested enclave use the key" }),
    ]);
  });
  it("fails an enclave grant before the first release (no active PCR0)", () => {
    const synth = sealingKey(grant({ StringEquals: { "kms:RecipientAttestation:PCR0": [ACTIVE] } }));
    expect(sealingKeyPcr0.check(synth, { ...CONTEXT, activePcr0s: [] })).toEqual([
      expect.objectContaining({ message: expect.stringContaining("not active in the manifest") }),
    ]);
  });
  it("fails a grant without the PCR0 condition", () => {
    expect(sealingKeyPcr0.check(sealingKey(grant()), CONTEXT)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ message: expect.stringMatching(/without a kms:RecipientAttestation:PCR0/) }),
      ]),
    );
  });
  it("fails a grant with IfExists (admits requests without attestation)", () => {
    const synth = sealingKey(grant({ StringEqualsIfExists: { "kms:RecipientAttestation:PCR0": [ACTIVE] } }));
    expect(sealingKeyPcr0.check(synth, CONTEXT)).not.toEqual([]);
  });
  it("fails a PCR0 that is not active in the manifest", () => {
    const synth = sealingKey(grant({ StringEquals: { "kms:RecipientAttestation:PCR0": [ACTIVE, STRANGER] } }));
    expect(sealingKeyPcr0.check(synth, CONTEXT)).toEqual(
      expect.arrayContaining([expect.objectContaining({ message: expect.stringContaining(STRANGER) })]),
    );
  });
  it("fails when there is no sealing key at all", () => {
    const synth = sealingKey(grant({ StringEquals: { "kms:RecipientAttestation:PCR0": [ACTIVE] } }), false);
    expect(sealingKeyPcr0.check(synth, CONTEXT)).toEqual([
      expect.objectContaining({ message: "no vault sealing key in the app" }),
    ]);
  });
});
