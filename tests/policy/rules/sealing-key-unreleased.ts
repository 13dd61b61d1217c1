import { covers, type Finding, finding, list, type PolicyRule, resources, statements } from "../terraform";
import { SEALING_TAG } from "./sealing-key-pcr0";

/** Every KMS action that decrypts with the key or yields key material. */
const UNSEALING_ACTIONS = [
  "kms:Decrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:GenerateDataKeyPair",
  "kms:GenerateDataKeyPairWithoutPlaintext",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
] as const;

/**
 * Before an environment's first release (no active PCR0: no signed manifest committed),
 * the vault sealing key exists and no Allow statement of its policy (the key's own or a
 * separate key policy resource) lets any principal use an {@link UNSEALING_ACTIONS}
 * action — listed, through a wildcard, or through NotAction — so no enclave and nobody
 * else can decrypt with the key or make a data key. Once a manifest has active releases
 * sealing-key-pcr0 judges the enclave grants, and this rule has nothing to hold.
 */
export const sealingKeyUnreleased: PolicyRule = {
  id: "sealing-key-unreleased",
  description: "Before the first release the sealing key approves no enclave: nobody may decrypt or make data keys",
  check(synth, context) {
    if (context.activePcr0s.length > 0) return [];
    const out: Finding[] = [];
    const keys = resources(synth, "aws_kms_key").filter(
      (k) => (k.body.tags as Record<string, unknown> | undefined)?.[SEALING_TAG.key] === SEALING_TAG.value,
    );
    if (keys.length === 0) {
      return [{ rule: this.id, stack: "*", address: "aws_kms_key", message: "no vault sealing key in the app" }];
    }
    for (const key of keys) {
      const separate = resources(synth, "aws_kms_key_policy").filter(
        (p) => p.stack === key.stack && String(p.body.key_id).includes(`aws_kms_key.${key.name}.`),
      );
      for (const s of [key.body.policy, ...separate.map((p) => p.body.policy)].flatMap(statements)) {
        if (s.Effect !== "Allow") continue;
        const allowed =
          s.NotAction === undefined
            ? UNSEALING_ACTIONS.filter((a) => list(s.Action).some((pattern) => covers(pattern, a)))
            : UNSEALING_ACTIONS.filter((a) => !list(s.NotAction).some((pattern) => covers(pattern, a)));
        if (allowed.length > 0) {
          out.push(
            finding(this.id, key, `statement ${s.Sid ?? "?"} allows ${allowed.join(", ")} with no release approved`),
          );
        }
      }
    }
    return out;
  },
};
