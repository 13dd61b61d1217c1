import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CONTEXT, synthFresh } from "../fresh-stack";
import { logRetention } from "./log-retention";

describe("rule log-retention", () => {
  it("passes a log group with a retention", () => {
    const synth = synthFresh((s) => new CloudwatchLogGroup(s, "g", { name: "g", retentionInDays: 30 }));
    expect(logRetention.check(synth, CONTEXT)).toEqual([]);
  });
  it("fails a log group kept forever", () => {
    const synth = synthFresh((s) => new CloudwatchLogGroup(s, "g", { name: "g" }));
    expect(logRetention.check(synth, CONTEXT)).toEqual([
      expect.objectContaining({ address: "aws_cloudwatch_log_group.g" }),
    ]);
  });
});
