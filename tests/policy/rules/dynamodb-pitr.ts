import { block, finding, type PolicyRule, resources } from "../terraform";

/** Every DynamoDB table has point-in-time recovery. */
export const dynamodbPitr: PolicyRule = {
  id: "dynamodb-pitr",
  description: "DynamoDB tables have point-in-time recovery",
  check(synth) {
    return resources(synth, "aws_dynamodb_table")
      .filter((t) => block(t.body.point_in_time_recovery)?.enabled !== true)
      .map((t) => finding(this.id, t, "point-in-time recovery is off"));
  },
};
