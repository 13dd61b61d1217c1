import { type Finding, finding, list, type PolicyRule, resources, statements } from "../terraform";
import { SEALING_TAG } from "./sealing-key-pcr0";

const CONTEXT_KEY = "kms:EncryptionContext:vault";

/**
 * Every Allow statement of the sealing key's policy that lets an attested enclave
 * decrypt or make data keys also requires a vault's encryption context
 * (`StringLike` `kms:EncryptionContext:vault` = `vlt_*`), so each data key is bound to
 * one vault and a root key cannot be unwrapped under another vault's name.
 */
export const sealingKeyVaultContext: PolicyRule = {
  id: "sealing-key-vault-context",
  description: "The sealing key releases data keys only with a vault's encryption context",
  check(synth) {
    const out: Finding[] = [];
    const keys = resources(synth, "aws_kms_key").filter(
      (k) => (k.body.tags as Record<string, unknown> | undefined)?.[SEALING_TAG.key] === SEALING_TAG.value,
    );
    for (const key of keys) {
      const separate = resources(synth, "aws_kms_key_policy").filter(
        (p) => p.stack === key.stack && String(p.body.key_id).includes(`aws_kms_key.${key.name}.`),
      );
      for (const s of [key.body.policy, ...separate.map((p) => p.body.policy)].flatMap(statements)) {
        if (s.Effect !== "Allow") continue;
        const actions = list(s.Action);
        if (
          !actions.some((a) => a === "kms:Decrypt" || a.startsWith("kms:GenerateDataKey") || a === "kms:*" || a === "*")
        ) {
          continue;
        }
        const like = s.Condition?.StringLike?.[CONTEXT_KEY];
        const values = like === undefined ? [] : list(like as string | string[]);
        if (values.length === 0 || values.some((v) => v !== "vlt_*")) {
          out.push(
            finding(this.id, key, `statement ${s.Sid ?? "?"} releases data keys without ${CONTEXT_KEY} = vlt_*`),
          );
        }
      }
    }
    return out;
  },
};
