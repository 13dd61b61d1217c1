import { CONTEXT } from "../fresh-stack";
import { bucketWithout, secureBucket } from "./s3.examples";
import { s3TlsOnly } from "./s3-tls-only";

describe("rule s3-tls-only", () => {
  it("passes a bucket whose policy denies aws:SecureTransport=false", () => {
    expect(s3TlsOnly.check(secureBucket(), CONTEXT)).toEqual([]);
  });
  it("passes a hand-built bucket with the deny statement", () => {
    expect(s3TlsOnly.check(bucketWithout("versioning"), CONTEXT)).toEqual([]);
  });
  it("fails a bucket whose policy has no TLS-only deny", () => {
    expect(s3TlsOnly.check(bucketWithout("tls-policy"), CONTEXT)).toEqual([
      expect.objectContaining({ address: "aws_s3_bucket.b" }),
    ]);
  });
});
