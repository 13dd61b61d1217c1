import { CONTEXT } from "../fresh-stack";
import { hosts, ingress, inlineRange } from "./network.examples";
import { noSsh } from "./no-ssh";

describe("rule no-ssh", () => {
  it("passes hosts without key pairs and rules that avoid port 22", () => {
    expect(noSsh.check(hosts("required"), CONTEXT)).toEqual([]);
    expect(noSsh.check(ingress(4222, "10.0.0.0/8"), CONTEXT)).toEqual([]);
  });
  it("fails a key pair on an instance and a launch template", () => {
    expect(noSsh.check(hosts("required", "ops"), CONTEXT).map((f) => f.address)).toEqual([
      "aws_instance.i",
      "aws_launch_template.lt",
    ]);
  });
  it("fails port 22 even from inside the VPC, and ranges covering it", () => {
    expect(noSsh.check(ingress(22, "10.0.0.0/8"), CONTEXT)).toHaveLength(1);
    expect(noSsh.check(inlineRange(0, 1024, "10.0.0.0/8"), CONTEXT)).toHaveLength(1);
  });
});
