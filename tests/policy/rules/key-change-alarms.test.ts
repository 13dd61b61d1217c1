import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { policyDocument } from "../../../stacks/shared/policy";
import { CONTEXT, synthFresh } from "../fresh-stack";
import { keyChangeAlarms } from "./key-change-alarms";

type Options = Partial<{ events: string[]; watchSigningKey: boolean; topicPolicy: boolean; trailRule: boolean }>;

const calls = (source: string, eventName: string[], detail: Record<string, unknown> = {}) =>
  JSON.stringify({
    source: [source],
    "detail-type": ["AWS API Call via CloudTrail"],
    detail: { eventName, ...detail },
  });

/** Both locked keys, an alarm topic, and rules targeting it (as the observability stack builds them). */
function alarmed(o: Options = {}) {
  return synthFresh((s) => {
    const sealing = new KmsKey(s, "sealing", { tags: { "vettid:purpose": "vault-sealing" } });
    const signing = new KmsKey(s, "signing", { tags: { "vettid:purpose": "manifest-signing" } });
    const topic = new SnsTopic(s, "alarms", { name: "alarms" });
    const arns = o.watchSigningKey === false ? [sealing.arn] : [sealing.arn, signing.arn];
    const events = o.events ?? ["PutKeyPolicy", "CreateGrant", "ScheduleKeyDeletion", "DisableKey"];
    const patterns = { keys: calls("aws.kms", events, { resources: { ARN: arns } }) };
    if (o.trailRule !== false)
      Object.assign(patterns, { trail: calls("aws.cloudtrail", ["DeleteTrail", "StopLogging"]) });
    for (const [id, eventPattern] of Object.entries(patterns)) {
      const rule = new CloudwatchEventRule(s, id, { name: id, eventPattern });
      new CloudwatchEventTarget(s, `${id}-target`, { rule: rule.name, arn: topic.arn });
    }
    if (o.topicPolicy !== false) {
      new SnsTopicPolicy(s, "p", {
        arn: topic.arn,
        policy: policyDocument([
          {
            Sid: "Rules",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sns:Publish",
            Resource: topic.arn,
          },
        ]),
      });
    }
  });
}

const messages = (o?: Options) => keyChangeAlarms.check(alarmed(o), CONTEXT).map((f) => f.message);

describe("rule key-change-alarms", () => {
  it("passes alarmed rules on the four KMS calls for both keys and on trail stops", () => {
    expect(messages()).toEqual([]);
  });
  it("fails when the signing key is not watched", () => {
    expect(keyChangeAlarms.check(alarmed({ watchSigningKey: false }), CONTEXT)).toEqual([
      expect.objectContaining({ address: "aws_kms_key.signing", message: expect.stringContaining("no alarmed rule") }),
    ]);
  });
  it("fails when a watched call is missing (CreateGrant)", () => {
    expect(messages({ events: ["PutKeyPolicy", "ScheduleKeyDeletion", "DisableKey"] })).toHaveLength(2);
  });
  it("fails rules whose topic does not let EventBridge publish (they alarm nobody)", () => {
    expect(messages({ topicPolicy: false })).toEqual(
      expect.arrayContaining([expect.stringContaining("no alarmed rule on StopLogging")]),
    );
  });
  it("fails without a rule on trail stops", () => {
    expect(messages({ trailRule: false })).toEqual(["no alarmed rule on StopLogging, DeleteTrail"]);
  });
});
