import { type Finding, finding, list, type PolicyRule } from "../terraform";
import { releasesDataKeys, sealingKeyStatements } from "./sealing-key-pcr0";

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
    for (const { key, statement: s } of sealingKeyStatements(synth)) {
      if (s.Effect !== "Allow" || !releasesDataKeys(s)) continue;
      const like = s.Condition?.StringLike?.[CONTEXT_KEY];
      const values = like === undefined ? [] : list(like as string | string[]);
      if (values.length === 0 || values.some((v) => v !== "vlt_*")) {
        out.push(finding(this.id, key, `statement ${s.Sid ?? "?"} releases data keys without ${CONTEXT_KEY} = vlt_*`));
      }
    }
    return out;
  },
};
