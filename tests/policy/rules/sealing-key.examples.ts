import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { keyAdministration } from "../../../stacks/shared/key-policies";
import { policyDocument, type Statement } from "../../../stacks/shared/policy";
import { synthFresh } from "../fresh-stack";

/** The PCR0 condition of an enclave grant. */
export const PCR0_CONDITION = { StringEqualsIgnoreCase: { "kms:RecipientAttestation:PCR0": "a".repeat(96) } };

/** A vault sealing key (tagged) whose policy grants enclaves Decrypt/GenerateDataKey under `condition`. */
export function sealingKeyGranting(
  condition: Statement["Condition"],
  actions = ["kms:Decrypt", "kms:GenerateDataKey"],
) {
  return synthFresh((s) => {
    new KmsKey(s, "k", {
      policy: policyDocument([
        keyAdministration("arn:aws:iam::1:root"),
        {
          Sid: "Enclaves",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::1:role/host" },
          Action: actions,
          Resource: "*",
          Condition: condition,
        },
      ]),
      tags: { "vettid:purpose": "vault-sealing" },
    });
  });
}

/** A sealing key whose one grant to the host role is Decrypt alone under `condition`. */
export function sealingKeyDecrypting(condition: Statement["Condition"]) {
  return sealingKeyGranting(condition, ["kms:Decrypt"]);
}
