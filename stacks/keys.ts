import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { Construct } from "constructs";
import { TerraformOutput } from "./cdktf";
import type { EnvConfig } from "./config";
import { activeReleases, type ManifestRelease, type StackManifest } from "./inputs/manifest";
import { BaseStack } from "./shared/base-stack";
import { lockedKeyAccountAccess, releaseRoleGovernsKey } from "./shared/key-policies";
import { policyDocument, type Statement } from "./shared/policy";
import { sealingKeyAlias } from "./vault-fleet";

/** Tag value that marks the vault sealing key (tests/policy find it by this tag). */
export const SEALING_KEY_PURPOSE = "vault-sealing";

/** The condition key KMS fills from the attestation document of a Recipient request. */
export const PCR0_CONDITION_KEY = "kms:RecipientAttestation:PCR0";

/**
 * Every data key of the sealing key is bound to one vault: KMS calls must carry the
 * encryption context `{vault: <vault id>}` (vault-enclave/kms), and a ciphertext blob
 * opens only with the same context, so one vault's root key cannot be unwrapped as
 * another's.
 */
export const VAULT_CONTEXT_CONDITION = { StringLike: { "kms:EncryptionContext:vault": "vlt_*" } } as const;

/**
 * The encryption context of the runtime's sealed NATS signing key (decision 0072;
 * lib/runtime-config `RUNTIME_NATS_KEY_CONTEXT`, kept equal by tests/unit/stacks). Only
 * this one key, `purpose`, and only this value: no vault's data key has that context,
 * so the grant below opens this one secret and nothing a vault sealed.
 */
export const RUNTIME_NATS_KEY_PURPOSE = "vettid-runtime-nats-key";

/** The conditions that pin a KMS call to exactly {@link RUNTIME_NATS_KEY_PURPOSE}'s context. */
export function natsKeyContextCondition(): Record<string, Record<string, string | string[]>> {
  return {
    StringEquals: { "kms:EncryptionContext:purpose": RUNTIME_NATS_KEY_PURPOSE },
    "ForAllValues:StringEquals": { "kms:EncryptionContextKeys": ["purpose"] },
  };
}

function releaseWindow(release: ManifestRelease, manifestExpiresAt: string): Record<string, Record<string, string>> {
  const until =
    release.validUntil !== null && Date.parse(release.validUntil) < Date.parse(manifestExpiresAt)
      ? release.validUntil
      : manifestExpiresAt;
  return {
    DateGreaterThan: { "aws:CurrentTime": release.activatesAt },
    DateLessThan: { "aws:CurrentTime": until },
  };
}

/**
 * One release's grant: Decrypt/GenerateDataKey for the host role, only with a Recipient
 * whose attested PCR0 is the release's, and only inside the release's window: from its
 * `activates_at` (at least the 7-day activation delay after approval, so reviewers can
 * inspect the image before any vault key can reach it) until its `valid_until` or the
 * manifest's `expires_at`, whichever comes first (decision 0067).
 */
export function enclaveStatement(hostRoleArn: string, release: ManifestRelease, manifestExpiresAt: string): Statement {
  const window = releaseWindow(release, manifestExpiresAt);
  return {
    Sid: `AttestedEnclave${release.id.replace(/[^A-Za-z0-9]/g, "")}`,
    Effect: "Allow",
    Principal: { AWS: hostRoleArn },
    Action: ["kms:Decrypt", "kms:GenerateDataKey"],
    Resource: "*",
    Condition: {
      StringEqualsIgnoreCase: { [PCR0_CONDITION_KEY]: release.pcr0 },
      ...VAULT_CONTEXT_CONDITION,
      ...window,
    },
  };
}

/**
 * One release's grant to open the runtime's sealed NATS signing key: Decrypt only (no
 * data keys), with a Recipient of the release's PCR0, inside the release's window, and
 * only with exactly the NATS key's context. The answer is encrypted to the enclave, so
 * the host relays a seed it cannot read (decision 0072).
 */
export function natsKeyStatement(hostRoleArn: string, release: ManifestRelease, manifestExpiresAt: string): Statement {
  return {
    Sid: `AttestedNatsKey${release.id.replace(/[^A-Za-z0-9]/g, "")}`,
    Effect: "Allow",
    Principal: { AWS: hostRoleArn },
    Action: ["kms:Decrypt"],
    Resource: "*",
    Condition: {
      StringEqualsIgnoreCase: { [PCR0_CONDITION_KEY]: release.pcr0 },
      ...natsKeyContextCondition(),
      ...releaseWindow(release, manifestExpiresAt),
    },
  };
}

/**
 * The release role may seal a NATS signing key seed for the runtime (Encrypt, with
 * exactly the NATS key's context): it replaces this policy anyway, so this gives it
 * nothing new, and Encrypt opens nothing. The runtime refuses a seed whose public key
 * is not the one its measured configuration names.
 */
export function natsKeySealingStatement(releaseRoleArn: string): Statement {
  return {
    Sid: "ReleaseSealsNatsKey",
    Effect: "Allow",
    Principal: { AWS: releaseRoleArn },
    Action: ["kms:Encrypt"],
    Resource: "*",
    Condition: natsKeyContextCondition(),
  };
}

export interface KeysStackProps {
  hostRoleArn: string;
  /** The release role: the only principal that may replace the key policy (it applies this stack). */
  releaseRoleArn: string;
  /** The signed manifest; null before the first release: then no statement admits any enclave. */
  manifest: StackManifest | null;
}

/**
 * The vault sealing key. Its policy lets the vault host role call Decrypt and
 * GenerateDataKey only with a Recipient whose attestation carries the PCR0 of an approved
 * release of the manifest (one statement per release, bounded by its validity window), so KMS answers only with CiphertextForRecipient (encrypted to
 * the enclave's attested key) and the host never sees a data key. No other statement
 * grants cryptographic use, and only the release role may replace the policy (with the
 * lockout safety check): the account may read the key, stop it and cancel its deletion,
 * never change who uses it, so no IAM policy and no administrator can widen this. The
 * PCR0 list comes from the same manifest file the release stack publishes: changing
 * releases is one reviewed change of both (decisions 0043, 0057). Before the first
 * release there is no signed manifest, and the policy holds no enclave statement at all:
 * nobody can decrypt with the key or make a data key until a manifest is committed
 * (decision 0060).
 */
export class KeysStack extends BaseStack {
  readonly sealingKey: KmsKey;

  constructor(scope: Construct, config: EnvConfig, props: KeysStackProps) {
    super(scope, "keys", config);
    const p = this.prefix;
    const manifest = props.manifest;
    const releases = manifest === null ? [] : activeReleases(manifest);
    if (manifest !== null && releases.length === 0) {
      throw new Error(`manifest serial ${manifest.serial} has no active release`);
    }

    this.sealingKey = new KmsKey(this, "sealing-key", {
      description:
        manifest === null
          ? `${p} vault sealing key (approves no enclave: no signed release manifest yet)`
          : `${p} vault sealing key (released only to attested enclaves; manifest serial ${manifest.serial})`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      // CreateKey keeps the lockout safety check too: the policy must leave the caller
      // (the release role) able to replace it.
      bypassPolicyLockoutSafetyCheck: false,
      policy: policyDocument([
        lockedKeyAccountAccess(this.accountRoot),
        ...releaseRoleGovernsKey(props.releaseRoleArn),
        natsKeySealingStatement(props.releaseRoleArn),
        ...releases.map((r) => enclaveStatement(props.hostRoleArn, r, manifest!.expiresAt)),
        ...releases.map((r) => natsKeyStatement(props.hostRoleArn, r, manifest!.expiresAt)),
      ]),
      tags: { Name: `${p}-vault-sealing`, "vettid:purpose": SEALING_KEY_PURPOSE },
    });
    new KmsAlias(this, "sealing-key-alias", { name: sealingKeyAlias(p), targetKeyId: this.sealingKey.keyId });
    new TerraformOutput(this, "sealing-key-arn", { value: this.sealingKey.arn });
  }
}
