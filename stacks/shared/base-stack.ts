import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Construct } from "constructs";
import { LocalBackend, S3Backend, TerraformStack } from "../cdktf";
import type { EnvConfig } from "../config";

/**
 * A stack of one concern in one environment: the AWS provider pinned to the account and
 * region, default tags on every resource, and the configured state backend.
 */
export class BaseStack extends TerraformStack {
  readonly config: EnvConfig;
  /** `vettid-<env>`: the prefix of every resource name. */
  readonly prefix: string;

  constructor(scope: Construct, concern: string, config: EnvConfig) {
    super(scope, concern);
    this.config = config;
    this.prefix = `vettid-${config.name}`;
    new AwsProvider(this, "aws", {
      region: config.region,
      allowedAccountIds: [config.accountId],
      defaultTags: [{ tags: { Project: "vettid", Environment: config.name, Concern: concern } }],
    });
    const backend = config.backend;
    if (backend.kind === "local") {
      new LocalBackend(this, { path: `terraform.${concern}.tfstate` });
    } else {
      new S3Backend(this, {
        bucket: backend.bucket,
        key: `${backend.keyPrefix}/${concern}.tfstate`,
        region: backend.region,
        encrypt: true,
        ...(backend.lock.kind === "lockfile" ? { useLockfile: true } : { dynamodbTable: backend.lock.table }),
      });
    }
  }

  /** `arn:aws:<service>:<region>:<account>:<resource>` for this environment. */
  arn(service: string, resource: string, region: string = this.config.region): string {
    return `arn:aws:${service}:${region}:${this.config.accountId}:${resource}`;
  }

  /** The account root principal ARN (key policies: "this account may administer"). */
  get accountRoot(): string {
    return `arn:aws:iam::${this.config.accountId}:root`;
  }
}
