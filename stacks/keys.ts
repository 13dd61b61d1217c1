import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { Construct } from "constructs";
import { TerraformOutput } from "./cdktf";
import type { EnvConfig } from "./config";
import { activeReleases, type StackManifest } from "./inputs/manifest";
import { BaseStack } from "./shared/base-stack";
import { keyAdministration } from "./shared/key-policies";
import { policyDocument } from "./shared/policy";
import { sealingKeyAlias } from "./vault-fleet";

/** Tag value that marks the vault sealing key (tests/policy find it by this tag). */
export const SEALING_KEY_PURPOSE = "vault-sealing";

/** The condition key KMS fills from the attestation document of a Recipient request. */
export const PCR0_CONDITION_KEY = "kms:RecipientAttestation:PCR0";

export interface KeysStackProps {
  hostRoleArn: string;
  manifest: StackManifest;
}

/**
 * The vault sealing key. Its policy lets the vault host role call Decrypt and
 * GenerateDataKey only with a Recipient whose attestation carries the PCR0 of an active
 * release of the manifest, so KMS answers only with CiphertextForRecipient (encrypted to
 * the enclave's attested key) and the host never sees a data key. No other statement
 * grants cryptographic use — the account may administer the key, not use it — so no IAM
 * policy can widen this. The PCR0 list comes from the same manifest file the release
 * stack publishes: changing releases is one reviewed change of both.
 */
export class KeysStack extends BaseStack {
  readonly sealingKey: KmsKey;

  constructor(scope: Construct, config: EnvConfig, props: KeysStackProps) {
    super(scope, "keys", config);
    const p = this.prefix;
    const pcr0s = [...new Set(activeReleases(props.manifest).map((r) => r.pcr0))].sort();
    if (pcr0s.length === 0) throw new Error(`manifest serial ${props.manifest.serial} has no active release`);

    this.sealingKey = new KmsKey(this, "sealing-key", {
      description: `${p} vault sealing key (released only to attested enclaves; manifest serial ${props.manifest.serial})`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument([
        keyAdministration(this.accountRoot),
        {
          Sid: "AttestedEnclavesOnly",
          Effect: "Allow",
          Principal: { AWS: props.hostRoleArn },
          Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          Resource: "*",
          Condition: { StringEqualsIgnoreCase: { [PCR0_CONDITION_KEY]: pcr0s } },
        },
      ]),
      tags: { Name: `${p}-vault-sealing`, "vettid:purpose": SEALING_KEY_PURPOSE },
    });
    new KmsAlias(this, "sealing-key-alias", { name: sealingKeyAlias(p), targetKeyId: this.sealingKey.keyId });
    new TerraformOutput(this, "sealing-key-arn", { value: this.sealingKey.arn });
  }
}
