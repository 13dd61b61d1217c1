import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { keyAdministration } from "../../../stacks/shared/key-policies";
import { assumeRolePolicy, policyDocument, type Statement } from "../../../stacks/shared/policy";
import { synthFresh } from "../fresh-stack";

/** A role with one inline policy of the given statements (and optionally a managed policy). */
export function roleWith(statements: Statement[], managedPolicyArn?: string) {
  return synthFresh((s) => {
    const role = new IamRole(s, "r", { name: "r", assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com") });
    new IamRolePolicy(s, "p", { role: role.id, name: "p", policy: policyDocument(statements) });
    if (managedPolicyArn !== undefined)
      new IamRolePolicyAttachment(s, "m", { role: role.name, policyArn: managedPolicyArn });
  });
}

/** A KMS key whose policy uses `Resource: "*"` the way every key policy must. */
export const keyWithStandardPolicy = () =>
  synthFresh((s) => {
    new KmsKey(s, "k", { policy: policyDocument([keyAdministration("arn:aws:iam::1:root")]) });
  });

export const scoped: Statement = {
  Sid: "Scoped",
  Effect: "Allow",
  Action: ["dynamodb:GetItem", "dynamodb:PutItem"],
  Resource: "arn:aws:dynamodb:eu-central-1:1:table/t",
};
