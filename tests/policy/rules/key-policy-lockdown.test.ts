import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { keyAdministration, lockedKeyAccountAccess, releaseRoleGovernsKey } from "../../../stacks/shared/key-policies";
import { policyDocument, type Statement } from "../../../stacks/shared/policy";
import { CONTEXT, synthFresh } from "../fresh-stack";
import { keyPolicyLockdown } from "./key-policy-lockdown";

const ROOT = "arn:aws:iam::1:root";
const ENCLAVES: Statement = {
  Sid: "Enclaves",
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam::1:role/host" },
  Action: ["kms:Decrypt", "kms:GenerateDataKey"],
  Resource: "*",
  Condition: { StringEqualsIgnoreCase: { "kms:RecipientAttestation:PCR0": "a".repeat(96) } },
};
const locked = () => [lockedKeyAccountAccess(ROOT), ...releaseRoleGovernsKey(CONTEXT.releaseRoleArn)];

/** A sealing key and a signing key with the given policy statements (the same for both). */
function keys(policy: Statement[], bypass: boolean | "omitted" = false) {
  return synthFresh((s) => {
    for (const purpose of ["vault-sealing", "manifest-signing"]) {
      new KmsKey(s, purpose, {
        policy: policyDocument(policy),
        ...(bypass === "omitted" ? {} : { bypassPolicyLockoutSafetyCheck: bypass }),
        tags: { "vettid:purpose": purpose },
      });
    }
  });
}

const messages = (policy: Statement[], bypass?: boolean | "omitted") =>
  keyPolicyLockdown.check(keys(policy, bypass), CONTEXT).map((f) => f.message);

describe("rule key-policy-lockdown", () => {
  it("passes the locked policy the stacks write: root reads and stops, the release role alone replaces", () => {
    expect(messages([...locked(), ENCLAVES], false)).toEqual([]);
  });
  it("fails the account administration statement, which lets root (any IAM admin) PutKeyPolicy", () => {
    const found = messages([keyAdministration(ROOT), ...releaseRoleGovernsKey(CONTEXT.releaseRoleArn), ENCLAVES]);
    expect(found).toEqual(
      expect.arrayContaining([
        `statement AccountAdministersKeyButCannotUseIt lets ${ROOT} PutKeyPolicy`,
        expect.stringMatching(/gives the account .*kms:PutKeyPolicy/),
      ]),
    );
  });
  it.each(["kms:*", "kms:Put*", "*"])("fails root with %s", (action) => {
    const wide: Statement = { Sid: "Wide", Effect: "Allow", Principal: { AWS: ROOT }, Action: action, Resource: "*" };
    expect(messages([...locked(), wide])).toEqual(
      expect.arrayContaining([
        `statement Wide lets ${ROOT} PutKeyPolicy`,
        `statement Wide gives the account ${action}`,
      ]),
    );
  });
  it("fails PutKeyPolicy for another role (the deploy role), and CreateGrant for anyone", () => {
    const deploy: Statement = {
      Sid: "Deploy",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::1:role/deploy" },
      Action: ["kms:PutKeyPolicy", "kms:CreateGrant"],
      Resource: "*",
    };
    expect(messages([...locked(), deploy])).toEqual(
      expect.arrayContaining([
        "statement Deploy lets arn:aws:iam::1:role/deploy PutKeyPolicy",
        "statement Deploy allows CreateGrant",
      ]),
    );
  });
  it("fails a key that bypasses the lockout check, or does not say it keeps it", () => {
    expect(messages([...locked()], true)).toContain("bypass_policy_lockout_safety_check is not set to false");
    expect(messages([...locked()], "omitted")).toContain("bypass_policy_lockout_safety_check is not set to false");
  });
  it("fails without the Deny of a bypass, and without any PutKeyPolicy for the release role", () => {
    const [root] = locked();
    expect(messages(root ? [root] : [])).toEqual(
      expect.arrayContaining([
        "no Deny of PutKeyPolicy that bypasses the lockout check",
        "the release role cannot PutKeyPolicy (the key would be unmanageable)",
      ]),
    );
  });
  it("fails when a locked key is missing", () => {
    const onlySealing = synthFresh((s) => {
      new KmsKey(s, "k", {
        policy: policyDocument(locked()),
        bypassPolicyLockoutSafetyCheck: false,
        tags: { "vettid:purpose": "vault-sealing" },
      });
    });
    expect(keyPolicyLockdown.check(onlySealing, CONTEXT).map((f) => f.message)).toEqual([
      "no manifest-signing key in the app",
    ]);
  });
});
