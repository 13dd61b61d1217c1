import type { EnvConfig } from "./types";

/** prod: three or more vault hosts across three AZs, remote state with a DynamoDB lock table. */
export const prod: EnvConfig = {
  name: "prod",
  accountId: "333333333333",
  region: "eu-central-1",
  availabilityZones: ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
  vpcCidr: "10.42.0.0/16",
  backend: {
    kind: "s3",
    bucket: "vettid-terraform-state-prod",
    region: "eu-central-1",
    keyPrefix: "vettid/prod",
    lock: { kind: "dynamodb", table: "vettid-terraform-locks" },
  },
  logRetentionDays: 365,
  deletionProtection: true,
  api: {
    throttlingRateLimit: 1000,
    throttlingBurstLimit: 2000,
    lambdaMemoryMiB: 512,
    lambdaTimeoutSeconds: 10,
    jwtTtlSeconds: 14400,
  },
  messaging: {
    instanceType: "m6i.large",
    amiParameter: "/vettid/prod/ami/nats",
    jetstreamVolumeGiB: 200,
    tlsCertificateArn: "arn:aws:acm:eu-central-1:333333333333:certificate/00000000-0000-0000-0000-000000000000",
    publicHostname: "nats.vettid.example",
  },
  vaultFleet: {
    instanceType: "m6i.2xlarge",
    amiParameter: "/vettid/prod/ami/vault-host",
    minSize: 3,
    maxSize: 12,
    desiredCapacity: 3,
    enclaveMemoryMiB: 8192,
    enclaveCpuCount: 4,
    // Every host serves every vault, the enclaves' leases deciding which answers; refused by the
    // proxy until the hosts have the enclave's NATS tunnel and sealed key (docs/infrastructure.md).
    servedVaults: ["*"],
  },
  release: {
    manifestFile: "stacks/config/release/prod/pcr-manifest.json",
    releaseKeySetFile: "stacks/config/release/prod/release-keys.json",
    runtimeNatsKeyFile: "stacks/config/release/prod/runtime-nats-key.json",
    signerRoleArn: "arn:aws:iam::333333333333:role/vettid-prod-release",
  },
  alarmEmail: "oncall@vettid.example",
};
