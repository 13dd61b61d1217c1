import { CONTEXT } from "../fresh-stack";
import { bucketWithout, secureBucket } from "./s3.examples";
import { s3KmsEncryption } from "./s3-kms-encryption";

describe("rule s3-kms-encryption", () => {
  it("passes a bucket encrypted with a customer managed key", () => {
    expect(s3KmsEncryption.check(secureBucket(), CONTEXT)).toEqual([]);
  });
  it("fails a bucket encrypted with SSE-S3 only", () => {
    expect(s3KmsEncryption.check(bucketWithout("encryption"), CONTEXT)).toEqual([
      expect.objectContaining({ address: "aws_s3_bucket.b" }),
    ]);
  });
});
