import {
  type Finding,
  mentions,
  type PolicyRule,
  type ResourceRef,
  refersTo,
  resources,
  type Synth,
  statements,
} from "../terraform";
import { LOCKED_KEY_PURPOSES } from "./key-policy-lockdown";

/** KMS calls that could change who uses a locked key, or destroy it. */
export const KEY_EVENTS = ["PutKeyPolicy", "CreateGrant", "ScheduleKeyDeletion", "DisableKey"] as const;
/** Calls that stop the trail the alarms depend on. */
export const TRAIL_EVENTS = ["StopLogging", "DeleteTrail"] as const;

interface Pattern {
  source?: string[];
  "detail-type"?: string[];
  detail?: { eventName?: string[]; resources?: { ARN?: string[] } };
}

function pattern(rule: ResourceRef): Pattern {
  try {
    return JSON.parse(String(rule.body.event_pattern)) as Pattern;
  } catch {
    return {};
  }
}

/** Whether the rule alarms: a target that is an SNS topic of its stack which lets EventBridge publish. */
function alarms(synth: Synth, rule: ResourceRef): boolean {
  const topics = resources(synth, "aws_sns_topic").filter((t) => t.stack === rule.stack);
  return resources(synth, "aws_cloudwatch_event_target").some((target) => {
    if (target.stack !== rule.stack || !refersTo(target.body.rule, rule.type, rule.name)) return false;
    const topic = topics.find((t) => refersTo(target.body.arn, t.type, t.name));
    if (topic === undefined) return false;
    return resources(synth, "aws_sns_topic_policy").some(
      (p) =>
        p.stack === topic.stack &&
        refersTo(p.body.arn, topic.type, topic.name) &&
        statements(p.body.policy).some(
          (s) =>
            s.Effect === "Allow" &&
            JSON.stringify(s.Principal).includes("events.amazonaws.com") &&
            JSON.stringify(s.Action).includes("sns:Publish"),
        ),
    );
  });
}

/** Whether a rule matches AWS API calls (via CloudTrail) of `source` with all of `names`. */
function matchesCalls(p: Pattern, source: string, names: readonly string[]): boolean {
  return (
    (p.source ?? []).includes(source) &&
    (p["detail-type"] ?? []).includes("AWS API Call via CloudTrail") &&
    names.every((n) => (p.detail?.eventName ?? []).includes(n))
  );
}

/**
 * EventBridge rules alarm (an SNS target the topic policy lets EventBridge publish to) on
 * `PutKeyPolicy`, `CreateGrant`, `ScheduleKeyDeletion` and `DisableKey` against the
 * sealing key and the manifest signing key (their ARNs in `detail.resources.ARN`,
 * referenced from the stacks that declare them), and on `StopLogging` / `DeleteTrail`,
 * which would silence the trail these events arrive through.
 */
export const keyChangeAlarms: PolicyRule = {
  id: "key-change-alarms",
  description: "PutKeyPolicy, CreateGrant, ScheduleKeyDeletion, DisableKey on the locked keys, and trail stops, alarm",
  check(synth) {
    const out: Finding[] = [];
    const rules = resources(synth, "aws_cloudwatch_event_rule").filter((r) => alarms(synth, r));
    const keys = resources(synth, "aws_kms_key").filter((k) =>
      LOCKED_KEY_PURPOSES.some((p) => (k.body.tags as Record<string, unknown> | undefined)?.["vettid:purpose"] === p),
    );
    const kmsRules = rules.filter((r) => matchesCalls(pattern(r), "aws.kms", KEY_EVENTS));
    for (const key of keys) {
      const watched = kmsRules.some((r) =>
        (pattern(r).detail?.resources?.ARN ?? []).some((arn) => mentions(arn, key, "arn", r.stack)),
      );
      if (!watched) {
        out.push({
          rule: this.id,
          stack: key.stack,
          address: key.address,
          message: `no alarmed rule on ${KEY_EVENTS.join(", ")} for this key`,
        });
      }
    }
    if (keys.length === 0) {
      out.push({ rule: this.id, stack: "*", address: "aws_kms_key", message: "no locked key to watch in the app" });
    }
    if (!rules.some((r) => matchesCalls(pattern(r), "aws.cloudtrail", TRAIL_EVENTS))) {
      out.push({
        rule: this.id,
        stack: "*",
        address: "aws_cloudwatch_event_rule",
        message: `no alarmed rule on ${TRAIL_EVENTS.join(", ")}`,
      });
    }
    return out;
  },
};
