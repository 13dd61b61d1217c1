import { type Finding, finding, list, type PolicyRule, policyDocuments } from "../terraform";

/** `*`, `svc:*`, or any NotAction (which grants everything not listed). */
function isWildcard(action: string): boolean {
  return action === "*" || action.endsWith(":*");
}

/**
 * No Allow statement grants `*` or a whole service (`s3:*`), nor uses NotAction. Deny
 * statements may (a TLS-only deny must cover every S3 action). No exceptions are needed.
 */
export const iamNoWildcardActions: PolicyRule = {
  id: "iam-no-wildcard-actions",
  description: "IAM Allow statements list their actions (no *, no service:*, no NotAction)",
  check(synth) {
    const out: Finding[] = [];
    for (const doc of policyDocuments(synth)) {
      for (const s of doc.statements) {
        if (s.Effect !== "Allow") continue;
        const wild = list(s.Action).filter(isWildcard);
        if (wild.length > 0) out.push(finding(this.id, doc.ref, `statement ${s.Sid ?? "?"} allows ${wild.join(", ")}`));
        if (s.NotAction !== undefined) out.push(finding(this.id, doc.ref, `statement ${s.Sid ?? "?"} uses NotAction`));
      }
    }
    return out;
  },
};
