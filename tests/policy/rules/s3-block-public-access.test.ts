import { CONTEXT } from "../fresh-stack";
import { bucketWithout, secureBucket } from "./s3.examples";
import { s3BlockPublicAccess } from "./s3-block-public-access";

describe("rule s3-block-public-access", () => {
  it("passes a bucket with all four public access flags", () => {
    expect(s3BlockPublicAccess.check(secureBucket(), CONTEXT)).toEqual([]);
  });
  it("fails a bucket without a public access block", () => {
    const findings = s3BlockPublicAccess.check(bucketWithout("public-access"), CONTEXT);
    expect(findings).toEqual([
      expect.objectContaining({
        address: "aws_s3_bucket.b",
        message: expect.stringMatching(/no aws_s3_bucket_public_access_block/),
      }),
    ]);
  });
  it("fails a bucket whose block leaves a flag off", () => {
    const findings = s3BlockPublicAccess.check(bucketWithout("one-flag"), CONTEXT);
    expect(findings).toEqual([expect.objectContaining({ message: expect.stringMatching(/block_public_policy/) })]);
  });
});
