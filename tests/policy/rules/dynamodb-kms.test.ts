import { CONTEXT } from "../fresh-stack";
import { table } from "./dynamodb.examples";
import { dynamodbKms } from "./dynamodb-kms";

describe("rule dynamodb-kms", () => {
  it("passes a table encrypted with a customer managed key", () => {
    expect(dynamodbKms.check(table({ pitr: true, kms: true }), CONTEXT)).toEqual([]);
  });
  it("fails a table on the default AWS owned key", () => {
    expect(dynamodbKms.check(table({ pitr: true, kms: false }), CONTEXT)).toEqual([
      expect.objectContaining({ address: "aws_dynamodb_table.t" }),
    ]);
  });
});
