import { type Finding, finding, type PolicyRule, resources } from "../terraform";
import { ingressRules } from "./security-group-ingress";

const SSH = 22;

/** No SSH: no key pair on instances or launch templates, no ingress rule covering port 22. */
export const noSsh: PolicyRule = {
  id: "no-ssh",
  description: "No SSH key pairs and no port 22 (Session Manager only)",
  check(synth) {
    const out: Finding[] = [];
    for (const r of [...resources(synth, "aws_instance"), ...resources(synth, "aws_launch_template")]) {
      if (r.body.key_name !== undefined) out.push(finding(this.id, r, `key_name ${String(r.body.key_name)} set`));
    }
    for (const { ref, rule } of ingressRules(synth)) {
      if (rule.from <= SSH && SSH <= rule.to)
        out.push(finding(this.id, ref, `ingress ${rule.from}-${rule.to} covers SSH`));
    }
    return out;
  },
};
