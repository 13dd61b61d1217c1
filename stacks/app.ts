import { join } from "node:path";
import type { Construct } from "constructs";
import type { EnvConfig } from "./config";
import { DataStack } from "./data";
import { EdgeStack } from "./edge";
import type { BuiltFunction } from "./inputs/functions";
import { currentRelease, type StackManifest } from "./inputs/manifest";
import type { RuntimeNatsKey } from "./inputs/runtime-nats-key";
import { KeysStack } from "./keys";
import { MessagingStack } from "./messaging";
import { NetworkStack } from "./network";
import { ObservabilityStack } from "./observability";
import { ReleaseStack } from "./release";
import { VaultFleetStack } from "./vault-fleet";

/** Everything one environment's stacks are built from. */
export interface AppInputs {
  config: EnvConfig;
  functions: readonly BuiltFunction[];
  /**
   * The verified signed manifest; null before the environment's first release, when the
   * sealing key approves no enclave, nothing is published and no vault host runs.
   */
  manifest: StackManifest | null;
  /**
   * The vault runtime's sealed NATS signing key (decision 0076), or null when none is
   * committed; required beside a manifest outside dev.
   */
  runtimeNatsKey: RuntimeNatsKey | null;
  /** Repository root (bundles in functions.json are relative to it). */
  root: string;
}

/** The stacks of one environment, in deployment order. */
export interface VettidStacks {
  network: NetworkStack;
  data: DataStack;
  release: ReleaseStack;
  messaging: MessagingStack;
  edge: EdgeStack;
  vaultFleet: VaultFleetStack;
  keys: KeysStack;
  observability: ObservabilityStack;
}

/**
 * Builds every stack of one environment under `scope` (an App). Cross-stack values are
 * passed as references (CDKTF turns them into outputs + remote state reads), and the
 * explicit dependencies give the deployment order: the release stack (which publishes
 * the manifest) before the keys stack (whose policy is derived from it).
 */
export function buildStacks(scope: Construct, inputs: AppInputs): VettidStacks {
  const { config, manifest, runtimeNatsKey } = inputs;
  if (manifest !== null && runtimeNatsKey === null && config.name !== "dev") {
    throw new Error(
      `${config.name}: a release manifest needs the runtime's sealed NATS key ${config.release.runtimeNatsKeyFile} (bin/vettid release runtime-nats-key): without it no host serves a vault`,
    );
  }
  if (runtimeNatsKey !== null && runtimeNatsKey.environment !== config.name) {
    throw new Error(`${config.name}: the runtime NATS key is for ${runtimeNatsKey.environment}`);
  }
  const network = new NetworkStack(scope, config);
  const data = new DataStack(scope, config);
  const release = new ReleaseStack(scope, config, manifest);
  const messaging = new MessagingStack(scope, config, {
    vpcId: network.vpc.id,
    privateSubnetIds: network.privateSubnetIds,
    publicSubnetIds: network.publicSubnetIds,
    dataKeyArn: data.dataKey.arn,
  });
  const edge = new EdgeStack(scope, config, {
    functions: inputs.functions,
    root: inputs.root,
    resources: {
      tableName: data.table.name,
      tableArn: data.table.arn,
      tableStreamArn: data.table.streamArn,
      natsUrls: [messaging.natsUrl],
      natsDeviceSigningSecretArn: messaging.deviceSigningSecret.arn,
      natsOperatorSecretArn: messaging.operatorSigningSecret.arn,
      manifestUrl: release.manifestUrl,
      jwtTtlSeconds: config.api.jwtTtlSeconds,
    },
  });
  const vaultFleet = new VaultFleetStack(scope, config, {
    vpcId: network.vpc.id,
    privateSubnetIds: network.privateSubnetIds,
    s3PrefixListId: network.s3PrefixListId,
    dynamodbPrefixListId: network.dynamodbPrefixListId,
    natsSecurityGroupId: messaging.natsSecurityGroupId,
    natsNodeUrls: messaging.nodeUrls,
    natsCaCertificatePem: messaging.natsCaCertificatePem,
    dataKeyArn: data.dataKey.arn,
    sealedStateBucket: data.sealedState.bucket.bucket,
    sealedStateBucketArn: data.sealedState.arn,
    tableName: data.table.name,
    tableArn: data.table.arn,
    artifactBucket: release.artifactBucket.bucket.bucket,
    artifactBucketArn: release.artifactBucket.arn,
    manifestUrl: release.manifestUrl,
    enclave:
      manifest === null
        ? null
        : {
            release: currentRelease(manifest),
            releaseKeySet: manifest.keySet,
            manifestSerial: manifest.serial,
            runtimeNatsKey,
          },
  });
  const keys = new KeysStack(scope, config, {
    hostRoleArn: vaultFleet.hostRole.arn,
    releaseRoleArn: config.release.signerRoleArn,
    manifest,
  });
  const observability = new ObservabilityStack(scope, config, {
    dataKeyArn: data.dataKey.arn,
    lockedKeyArns: [keys.sealingKey.arn, release.signingKey.arn],
    functionNames: edge.functionNames,
    streamFunctionNames: edge.streamFunctionNames,
    apiId: edge.api.id,
    autoScalingGroupName: vaultFleet.autoScalingGroup.name,
    nlbArnSuffix: messaging.loadBalancer.arnSuffix,
    targetGroupArnSuffix: messaging.targetGroup.arnSuffix,
    natsNodeCount: config.availabilityZones.length,
  });
  keys.addDependency(release);
  keys.addDependency(vaultFleet);
  return { network, data, release, messaging, edge, vaultFleet, keys, observability };
}

/** Paths of the manifest, its key and the runtime's sealed NATS key for `config`, resolved against the repository root. */
export function manifestPaths(
  root: string,
  config: EnvConfig,
): { manifest: string; key: string; runtimeNatsKey: string } {
  return {
    manifest: join(root, config.release.manifestFile),
    key: join(root, config.release.releaseKeySetFile),
    runtimeNatsKey: join(root, config.release.runtimeNatsKeyFile),
  };
}
