import { CONTEXT } from "../fresh-stack";
import { bucketWithout, secureBucket } from "./s3.examples";
import { s3Versioning } from "./s3-versioning";

describe("rule s3-versioning", () => {
  it("passes a versioned bucket", () => {
    expect(s3Versioning.check(secureBucket(), CONTEXT)).toEqual([]);
  });
  it("fails a bucket without versioning", () => {
    expect(s3Versioning.check(bucketWithout("versioning"), CONTEXT)).toEqual([
      expect.objectContaining({ address: "aws_s3_bucket.b", message: "versioning is not enabled" }),
    ]);
  });
});
