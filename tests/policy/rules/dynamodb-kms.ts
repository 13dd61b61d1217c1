import { block, finding, type PolicyRule, resources } from "../terraform";

/** Every DynamoDB table encrypts with a customer managed KMS key (not the AWS owned default). */
export const dynamodbKms: PolicyRule = {
  id: "dynamodb-kms",
  description: "DynamoDB tables encrypt with a customer managed KMS key",
  check(synth) {
    return resources(synth, "aws_dynamodb_table")
      .filter((t) => {
        const sse = block(t.body.server_side_encryption);
        return sse?.enabled !== true || typeof sse.kms_key_arn !== "string" || sse.kms_key_arn === "";
      })
      .map((t) => finding(this.id, t, "server-side encryption with a customer managed key is off"));
  },
};
