import {
  type Finding,
  finding,
  type IamStatement,
  list,
  type PolicyRule,
  type ResourceRef,
  resources,
  type Synth,
  statements,
} from "../terraform";

/** The tag that marks the vault sealing key. */
export const SEALING_TAG = { key: "vettid:purpose", value: "vault-sealing" } as const;
const PCR0_KEY = "kms:RecipientAttestation:PCR0";
/** Operators that compare exactly (IfExists variants would admit requests without attestation). */
const EXACT = [
  "StringEquals",
  "StringEqualsIgnoreCase",
  "ForAnyValue:StringEquals",
  "ForAnyValue:StringEqualsIgnoreCase",
];

/** Actions that yield key material or decrypt with it. */
function releasesKeyMaterial(action: string): boolean {
  return (
    action === "*" ||
    action === "kms:*" ||
    action === "kms:Decrypt" ||
    action.startsWith("kms:GenerateDataKey") ||
    action.startsWith("kms:ReEncrypt")
  );
}

/** True when an Allow of `s` would let its principal decrypt or make data keys. */
export function releasesDataKeys(s: IamStatement): boolean {
  return list(s.Action).some(
    (a) => a === "kms:Decrypt" || a.startsWith("kms:GenerateDataKey") || a === "kms:*" || a === "*",
  );
}

/** Every statement of every vault sealing key's policy (its own and separate key policy resources). */
export function sealingKeyStatements(synth: Synth): { key: ResourceRef; statement: IamStatement }[] {
  return resources(synth, "aws_kms_key")
    .filter((k) => (k.body.tags as Record<string, unknown> | undefined)?.[SEALING_TAG.key] === SEALING_TAG.value)
    .flatMap((key) => {
      const separate = resources(synth, "aws_kms_key_policy").filter(
        (p) => p.stack === key.stack && String(p.body.key_id).includes(`aws_kms_key.${key.name}.`),
      );
      return [key.body.policy, ...separate.map((p) => p.body.policy)]
        .flatMap(statements)
        .map((statement) => ({ key, statement }));
    });
}

function pcr0Values(s: IamStatement): string[] | undefined {
  for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
    if (!EXACT.includes(operator)) continue;
    const v = keys[PCR0_KEY];
    if (v !== undefined) return list(v as string | string[]).map((x) => x.toLowerCase());
  }
  return undefined;
}

/**
 * The vault sealing key exists; every Allow statement of its policy that releases key
 * material requires `kms:RecipientAttestation:PCR0` (exact match, no IfExists) with values
 * that are all PCR0s of active releases in the manifest; and, when the manifest has
 * active releases, at least one does. Before the first release (no active PCR0) every
 * such statement fails here, and sealing-key-unreleased holds that there is none.
 */
export const sealingKeyPcr0: PolicyRule = {
  id: "sealing-key-pcr0",
  description: "The sealing key is released only to enclaves with a PCR0 of an active manifest release",
  check(synth, context) {
    const out: Finding[] = [];
    const allowed = new Set(context.activePcr0s.map((p) => p.toLowerCase()));
    const keys = resources(synth, "aws_kms_key").filter((k) => {
      const tags = k.body.tags as Record<string, unknown> | undefined;
      return tags?.[SEALING_TAG.key] === SEALING_TAG.value;
    });
    if (keys.length === 0) {
      return [{ rule: this.id, stack: "*", address: "aws_kms_key", message: "no vault sealing key in the app" }];
    }
    for (const key of keys) {
      const separate = resources(synth, "aws_kms_key_policy").filter(
        (p) => p.stack === key.stack && String(p.body.key_id).includes(`aws_kms_key.${key.name}.`),
      );
      const all = [key.body.policy, ...separate.map((p) => p.body.policy)].flatMap(statements);
      let conditioned = 0;
      for (const s of all) {
        if (s.Effect !== "Allow" || !list(s.Action).some(releasesKeyMaterial)) continue;
        const values = pcr0Values(s);
        if (values === undefined || values.length === 0) {
          out.push(
            finding(this.id, key, `statement ${s.Sid ?? "?"} releases key material without a ${PCR0_KEY} condition`),
          );
          continue;
        }
        const unknown = values.filter((v) => !allowed.has(v));
        if (unknown.length > 0) {
          out.push(
            finding(
              this.id,
              key,
              `statement ${s.Sid ?? "?"} admits PCR0 not active in the manifest: ${unknown.join(", ")}`,
            ),
          );
          continue;
        }
        conditioned++;
      }
      if (conditioned === 0 && allowed.size > 0)
        out.push(finding(this.id, key, "no statement lets an attested enclave use the key"));
    }
    return out;
  },
};
