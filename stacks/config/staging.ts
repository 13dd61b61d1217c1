import type { EnvConfig } from "./types";

/** staging: production shape at smaller scale; remote state with S3-native locking. */
export const staging: EnvConfig = {
  name: "staging",
  accountId: "222222222222",
  region: "eu-central-1",
  availabilityZones: ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
  vpcCidr: "10.41.0.0/16",
  backend: {
    kind: "s3",
    bucket: "vettid-terraform-state-staging",
    region: "eu-central-1",
    keyPrefix: "vettid/staging",
    lock: { kind: "lockfile" },
  },
  logRetentionDays: 90,
  deletionProtection: true,
  api: {
    throttlingRateLimit: 200,
    throttlingBurstLimit: 400,
    lambdaMemoryMiB: 512,
    lambdaTimeoutSeconds: 10,
    jwtTtlSeconds: 14400,
  },
  messaging: {
    instanceType: "m6i.large",
    amiParameter: "/vettid/staging/ami/nats",
    jetstreamVolumeGiB: 50,
    tlsCertificateArn: "arn:aws:acm:eu-central-1:222222222222:certificate/00000000-0000-0000-0000-000000000000",
    publicHostname: "nats.staging.vettid.example",
  },
  vaultFleet: {
    instanceType: "m6i.xlarge",
    amiParameter: "/vettid/staging/ami/vault-host",
    minSize: 2,
    maxSize: 4,
    desiredCapacity: 2,
    enclaveMemoryMiB: 4096,
    enclaveCpuCount: 2,
    // Every host serves every vault, the enclaves' leases deciding which answers; refused by the
    // proxy until the hosts have the enclave's NATS tunnel and sealed key (docs/infrastructure.md).
    servedVaults: ["*"],
  },
  release: {
    manifestFile: "stacks/config/release/staging/pcr-manifest.json",
    releaseKeySetFile: "stacks/config/release/staging/release-keys.json",
    runtimeNatsKeyFile: "stacks/config/release/staging/runtime-nats-key.json",
    signerRoleArn: "arn:aws:iam::222222222222:role/vettid-staging-release",
  },
  alarmEmail: "oncall-staging@vettid.example",
};
