import { CONTEXT } from "../fresh-stack";
import { imdsv2 } from "./imdsv2";
import { hosts } from "./network.examples";

describe("rule imdsv2", () => {
  it("passes instances and launch templates that require tokens", () => {
    expect(imdsv2.check(hosts("required"), CONTEXT)).toEqual([]);
  });
  it("fails both when IMDSv1 stays allowed", () => {
    expect(imdsv2.check(hosts("optional"), CONTEXT).map((f) => f.address)).toEqual([
      "aws_instance.i",
      "aws_launch_template.lt",
    ]);
  });
});
