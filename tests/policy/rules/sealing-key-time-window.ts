import { type Finding, finding, type PolicyRule } from "../terraform";
import { releasesDataKeys, sealingKeyStatements } from "./sealing-key-pcr0";

const TIME_KEY = "aws:CurrentTime";

/**
 * Every Allow statement of the sealing key's policy that lets an attested enclave
 * decrypt or make data keys is bounded in time: `DateGreaterThan aws:CurrentTime` at
 * the release's `activates_at` (the activation delay: reviewers inspect a release
 * before any vault key can reach it) and `DateLessThan aws:CurrentTime` at its
 * `valid_until` or the manifest's `expires_at` (decision 0067).
 */
export const sealingKeyTimeWindow: PolicyRule = {
  id: "sealing-key-time-window",
  description: "The sealing key releases data keys only between a release's activation and the manifest's expiry",
  check(synth) {
    const out: Finding[] = [];
    for (const { key, statement: s } of sealingKeyStatements(synth)) {
      if (s.Effect !== "Allow" || !releasesDataKeys(s)) continue;
      for (const operator of ["DateGreaterThan", "DateLessThan"] as const) {
        const value = s.Condition?.[operator]?.[TIME_KEY];
        if (typeof value !== "string" || Number.isNaN(Date.parse(value))) {
          out.push(
            finding(this.id, key, `statement ${s.Sid ?? "?"} releases data keys without ${operator} ${TIME_KEY}`),
          );
        }
      }
    }
    return out;
  },
};
