import { CONTEXT } from "../fresh-stack";
import { roleWith, scoped } from "./iam.examples";
import { iamNoWildcardActions } from "./iam-no-wildcard-actions";

describe("rule iam-no-wildcard-actions", () => {
  it("passes listed actions, and a wildcard in a Deny", () => {
    const deny = { Sid: "D", Effect: "Deny" as const, Action: "s3:*", Resource: "arn:aws:s3:::b/*" };
    expect(iamNoWildcardActions.check(roleWith([scoped, deny]), CONTEXT)).toEqual([]);
  });
  it.each(["*", "s3:*"])("fails an Allow of %s", (action) => {
    const wild = { ...scoped, Sid: "Wild", Action: action };
    expect(iamNoWildcardActions.check(roleWith([wild]), CONTEXT)).toEqual([
      expect.objectContaining({ address: "aws_iam_role_policy.p", message: `statement Wild allows ${action}` }),
    ]);
  });
});
