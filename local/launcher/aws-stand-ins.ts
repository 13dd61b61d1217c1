import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type LocalKms, startLocalKms } from "./kms";
import { LOCAL_SEALED_STATE_BUCKET } from "./sealed-state";
import { type LocalStandIn, startStandIn } from "./stand-in";

/** The AWS stand-ins of the topology, each its own supervised process with its state under `aws/`. */
export interface AwsStandIns {
  dynamodb: LocalStandIn;
  secretsManager: LocalStandIn;
  s3: LocalStandIn;
  kms: LocalKms;
  /** The processes, for the supervisor and `endpoints.json`. */
  children: LocalStandIn[];
  stop(): Promise<void>;
}

/**
 * DEV ONLY. Starts dynalite, the Secrets Manager, S3 and KMS stand-ins as four child
 * processes at once (KMS once `attestationRootFile`, the simulated NSM's dev root, is
 * written), their state in `stateDir/aws/<kind>/`. That directory is made
 * fresh at each start of the launcher (as the nats-server store is; the sealing key
 * and the edge table are created again) and kept across a supervised restart of one
 * of them, which therefore loses nothing it acknowledged.
 */
export async function startAwsStandIns(stateDir: string, attestationRootFile: Promise<string>): Promise<AwsStandIns> {
  const awsDir = join(stateDir, "aws");
  rmSync(awsDir, { recursive: true, force: true });
  mkdirSync(awsDir, { recursive: true, mode: 0o700 });
  const dir = (kind: string) => join(awsDir, kind);
  const started = await Promise.allSettled([
    startStandIn({ kind: "dynamodb", name: "dynalite", dir: dir("dynamodb"), logDir: stateDir }),
    startStandIn({
      kind: "secrets-manager",
      name: "Secrets Manager stand-in",
      dir: dir("secrets-manager"),
      logDir: stateDir,
    }),
    startStandIn({
      kind: "s3",
      name: "S3 stand-in",
      dir: dir("s3"),
      logDir: stateDir,
      env: { VETTID_S3_BUCKETS: LOCAL_SEALED_STATE_BUCKET },
    }),
    attestationRootFile.then((rootFile) => startLocalKms({ stateDir, dir: dir("kms"), attestationRootFile: rootFile })),
  ] as const);
  const [dynamodb, secretsManager, s3, kms] = started;
  if (
    dynamodb.status === "rejected" ||
    secretsManager.status === "rejected" ||
    s3.status === "rejected" ||
    kms.status === "rejected"
  ) {
    await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
    const failed = started.find((s) => s.status === "rejected") as PromiseRejectedResult;
    throw failed.reason;
  }
  const children = [dynamodb.value, secretsManager.value, s3.value, kms.value.standIn];
  return {
    dynamodb: dynamodb.value,
    secretsManager: secretsManager.value,
    s3: s3.value,
    kms: kms.value,
    children,
    stop: async () => {
      await Promise.all(children.map((c) => c.stop()));
    },
  };
}
