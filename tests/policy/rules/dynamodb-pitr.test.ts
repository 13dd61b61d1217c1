import { CONTEXT } from "../fresh-stack";
import { table } from "./dynamodb.examples";
import { dynamodbPitr } from "./dynamodb-pitr";

describe("rule dynamodb-pitr", () => {
  it("passes a table with point-in-time recovery", () => {
    expect(dynamodbPitr.check(table({ pitr: true, kms: true }), CONTEXT)).toEqual([]);
  });
  it("fails a table without it", () => {
    expect(dynamodbPitr.check(table({ pitr: false, kms: true }), CONTEXT)).toEqual([
      expect.objectContaining({ address: "aws_dynamodb_table.t" }),
    ]);
  });
});
