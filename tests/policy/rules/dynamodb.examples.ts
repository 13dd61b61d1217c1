import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { synthFresh } from "../fresh-stack";

/** A table with PITR and CMK encryption, optionally without one of them. */
export function table(options: { pitr: boolean; kms: boolean }) {
  return synthFresh((s) => {
    new DynamodbTable(s, "t", {
      name: "t",
      hashKey: "pk",
      billingMode: "PAY_PER_REQUEST",
      attribute: [{ name: "pk", type: "S" }],
      pointInTimeRecovery: { enabled: options.pitr },
      ...(options.kms
        ? { serverSideEncryption: { enabled: true, kmsKeyArn: "arn:aws:kms:eu-central-1:1:key/k" } }
        : {}),
    });
  });
}
