import type { EnvConfig } from "./types";

/** dev: one small vault host, local state, short log retention, placeholder account values. */
export const dev: EnvConfig = {
  name: "dev",
  accountId: "111111111111",
  region: "eu-central-1",
  availabilityZones: ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
  vpcCidr: "10.40.0.0/16",
  backend: { kind: "local" },
  logRetentionDays: 14,
  deletionProtection: false,
  api: {
    throttlingRateLimit: 50,
    throttlingBurstLimit: 100,
    lambdaMemoryMiB: 512,
    lambdaTimeoutSeconds: 10,
    jwtTtlSeconds: 3600,
  },
  messaging: {
    instanceType: "t3.medium",
    amiParameter: "/vettid/dev/ami/nats",
    jetstreamVolumeGiB: 20,
    tlsCertificateArn: "arn:aws:acm:eu-central-1:111111111111:certificate/00000000-0000-0000-0000-000000000000",
    publicHostname: "nats.dev.vettid.example",
  },
  vaultFleet: {
    instanceType: "m6i.xlarge",
    amiParameter: "/vettid/dev/ami/vault-host",
    minSize: 1,
    maxSize: 2,
    desiredCapacity: 1,
    enclaveMemoryMiB: 2048,
    enclaveCpuCount: 2,
    servedVaults: ["*"],
  },
  release: {
    manifestFile: "stacks/config/dev-manifest.json",
    releaseKeySetFile: "stacks/config/dev-release-keys.json",
    runtimeNatsKeyFile: "stacks/config/dev-runtime-nats-key.json",
    signerRoleArn: "arn:aws:iam::111111111111:role/vettid-dev-release",
  },
  alarmEmail: "",
};
