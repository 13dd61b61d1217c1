import { type Finding, finding, list, type PolicyRule } from "../terraform";
import { releasesDataKeys, sealingKeyStatements } from "./sealing-key-pcr0";

const CONTEXT_KEY = "kms:EncryptionContext:vault";
const PURPOSE_KEY = "kms:EncryptionContext:purpose";
/** The one other context an enclave may decrypt under: the runtime's sealed NATS key (decision 0072). */
const NATS_KEY_PURPOSE = "vettid-runtime-nats-key";

/**
 * A Decrypt-only grant pinned to exactly the NATS key's context: `purpose` equal to
 * {@link NATS_KEY_PURPOSE} and no other context key (ForAllValues over
 * `kms:EncryptionContextKeys` = [`purpose`]), so no vault's ciphertext opens under it.
 */
function opensOnlyTheNatsKey(s: Parameters<typeof releasesDataKeys>[0]): boolean {
  const actions = list(s.Action);
  if (actions.length === 0 || actions.some((a) => a !== "kms:Decrypt")) return false;
  const purpose = s.Condition?.StringEquals?.[PURPOSE_KEY];
  const keys = s.Condition?.["ForAllValues:StringEquals"]?.["kms:EncryptionContextKeys"];
  const keyList = keys === undefined ? [] : list(keys as string | string[]);
  return purpose === NATS_KEY_PURPOSE && keyList.length === 1 && keyList[0] === "purpose";
}

/**
 * Every Allow statement of the sealing key's policy that lets an attested enclave
 * decrypt or make data keys also requires a vault's encryption context
 * (`StringLike` `kms:EncryptionContext:vault` = `vlt_*`), so each data key is bound to
 * one vault and a root key cannot be unwrapped under another vault's name. The one
 * exception is a Decrypt-only grant pinned to the runtime's sealed NATS key context and
 * nothing else ({@link opensOnlyTheNatsKey}).
 */
export const sealingKeyVaultContext: PolicyRule = {
  id: "sealing-key-vault-context",
  description: "The sealing key releases data keys only with a vault's encryption context",
  check(synth) {
    const out: Finding[] = [];
    for (const { key, statement: s } of sealingKeyStatements(synth)) {
      if (s.Effect !== "Allow" || !releasesDataKeys(s) || opensOnlyTheNatsKey(s)) continue;
      const like = s.Condition?.StringLike?.[CONTEXT_KEY];
      const values = like === undefined ? [] : list(like as string | string[]);
      if (values.length === 0 || values.some((v) => v !== "vlt_*")) {
        out.push(finding(this.id, key, `statement ${s.Sid ?? "?"} releases data keys without ${CONTEXT_KEY} = vlt_*`));
      }
    }
    return out;
  },
};
