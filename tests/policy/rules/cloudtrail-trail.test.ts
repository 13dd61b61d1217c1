import { Cloudtrail } from "@cdktf/provider-aws/lib/cloudtrail";
import { SecureBucket } from "../../../stacks/shared/secure-bucket";
import { CONTEXT, synthFresh } from "../fresh-stack";
import { cloudtrailTrail } from "./cloudtrail-trail";

const TRAIL_ARN = "arn:aws:cloudtrail:eu-central-1:1:trail/t";

type TrailOptions = Partial<{
  validation: boolean;
  multiRegion: boolean;
  readOnly: boolean;
  encrypted: boolean;
  sharedWithCdn: boolean;
}>;

/** A trail into a SecureBucket whose policy lets CloudTrail write (as the observability stack builds it). */
function trail(o: TrailOptions = {}) {
  return synthFresh((s) => {
    const bucket = new SecureBucket(s, "logs", {
      bucketName: "logs",
      kmsKeyArn: "arn:aws:kms:eu-central-1:1:key/k",
      protect: true,
    });
    const cloudTrail = { Service: "cloudtrail.amazonaws.com" };
    const fromTrail = { StringEquals: { "aws:SourceArn": TRAIL_ARN } };
    bucket.addStatements(
      {
        Sid: "Acl",
        Effect: "Allow",
        Principal: cloudTrail,
        Action: "s3:GetBucketAcl",
        Resource: bucket.arn,
        Condition: fromTrail,
      },
      {
        Sid: "Write",
        Effect: "Allow",
        Principal: cloudTrail,
        Action: "s3:PutObject",
        Resource: `${bucket.arn}/*`,
        Condition: fromTrail,
      },
    );
    if (o.sharedWithCdn) {
      bucket.addStatements({
        Sid: "Cdn",
        Effect: "Allow",
        Principal: { Service: "cloudfront.amazonaws.com" },
        Action: "s3:GetObject",
        Resource: `${bucket.arn}/*`,
      });
    }
    new Cloudtrail(s, "t", {
      name: "t",
      s3BucketName: bucket.bucket.bucket,
      ...(o.encrypted === false ? {} : { kmsKeyId: "arn:aws:kms:eu-central-1:1:key/t" }),
      enableLogFileValidation: o.validation ?? true,
      isMultiRegionTrail: o.multiRegion ?? true,
      includeGlobalServiceEvents: true,
      eventSelector: [{ readWriteType: o.readOnly ? "ReadOnly" : "All", includeManagementEvents: true }],
    });
  });
}

const messages = (o?: TrailOptions) => cloudtrailTrail.check(trail(o), CONTEXT).map((f) => f.message);

describe("rule cloudtrail-trail", () => {
  it("passes a validated multi-region trail of all management events, encrypted, into its own closed bucket", () => {
    expect(messages()).toEqual([]);
  });
  it.each([
    [{ validation: false }, "log file validation is off"],
    [{ multiRegion: false }, "it records one region only"],
    [{ readOnly: true }, "it does not record every management event"],
    [{ encrypted: false }, "its logs are not KMS-encrypted"],
    [{ sharedWithCdn: true }, "its bucket is not its own (the policy lets others than CloudTrail in)"],
  ] as const)("fails a trail with %o", (options, message) => {
    expect(messages(options)).toEqual([message]);
  });
  it("fails when there is no trail at all", () => {
    expect(
      cloudtrailTrail.check(
        synthFresh(() => {}),
        CONTEXT,
      ),
    ).toEqual([expect.objectContaining({ message: "no CloudTrail trail in the app" })]);
  });
});
