/**
 * DEV ONLY — runs one AWS stand-in as its own process, so the launcher can supervise
 * it like the other children of the topology, with its state on disk in
 * VETTID_STAND_IN_DIR so a restarted process has everything it acknowledged:
 *
 * - `dynamodb`: dynalite on a LevelDB store (`leveldb/`);
 * - `s3`: the S3 stand-in with its objects in files (`objects/`, local/aws/s3-directory.ts),
 *   creating the buckets of VETTID_S3_BUCKETS (comma-separated);
 * - `kms`: the KMS stand-in over HTTPS (VETTID_KMS_TLS_CERT_FILE, VETTID_KMS_TLS_KEY_FILE),
 *   Recipient documents verified against VETTID_ATTESTATION_ROOT_FILE, its keys in
 *   `keys.json` (mode 0600);
 * - `secrets-manager`: the Secrets Manager stand-in, its secrets in `secrets.json` (mode 0600).
 *
 * Environment: VETTID_ENV (local|dev), VETTID_STAND_IN, VETTID_STAND_IN_DIR,
 * VETTID_STAND_IN_PORT (0 = a free one; the launcher passes the first start's port to a
 * restart). Prints `{"event":"ready","port":N}` on stdout once it listens; SIGTERM or
 * SIGINT closes it.
 */
import { mkdirSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import { assertDevOnly } from "../lib/config";
import { LOCAL_AWS_REGION } from "./aws/dynamodb";
import { startAwsJsonServer } from "./aws/json-protocol";
import { attestationRecipientVerifier, createKmsService, type KmsKeyState } from "./aws/kms";
import { startS3StandIn } from "./aws/s3";
import { openS3Directory, S3_OBJECTS_DIR } from "./aws/s3-directory";
import { createSecretsManagerStandIn, type SecretsState } from "./aws/secrets-manager";
import { jsonStateFile } from "./aws/state-file";
import { required, runMain, stopOnSignals } from "./child-main";
import { type LoopbackServer, listenOnLoopback } from "./loopback-http";

/** The stand-ins this process can run, by their VETTID_STAND_IN name. */
export const STAND_IN_KINDS = ["dynamodb", "s3", "kms", "secrets-manager"] as const;
export type StandInKind = (typeof STAND_IN_KINDS)[number];

async function start(kind: StandInKind, dir: string, port: number, environment: string): Promise<LoopbackServer> {
  switch (kind) {
    case "dynamodb": {
      // dynalite is CommonJS without types
      const dynalite = require("dynalite") as (options: Record<string, unknown>) => Server;
      const server = dynalite({ path: join(dir, "leveldb"), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
      return listenOnLoopback(server, port);
    }
    case "s3": {
      const { store, persistence } = openS3Directory(join(dir, S3_OBJECTS_DIR));
      const buckets = (process.env.VETTID_S3_BUCKETS ?? "").split(",").filter((b) => b !== "");
      return startS3StandIn({ environment, port, store, persistence, buckets });
    }
    case "kms": {
      const root = readFileSync(required("VETTID_ATTESTATION_ROOT_FILE"), "utf8");
      const service = createKmsService({
        environment,
        region: LOCAL_AWS_REGION,
        verifyRecipient: attestationRecipientVerifier([root]),
        keyStore: jsonStateFile<KmsKeyState>(join(dir, "keys.json")),
      });
      const tls = {
        certPem: readFileSync(required("VETTID_KMS_TLS_CERT_FILE"), "utf8"),
        keyPem: readFileSync(required("VETTID_KMS_TLS_KEY_FILE"), "utf8"),
      };
      return startAwsJsonServer([service], port, tls);
    }
    case "secrets-manager":
      return startAwsJsonServer(
        [createSecretsManagerStandIn(jsonStateFile<SecretsState>(join(dir, "secrets.json")))],
        port,
      );
  }
}

async function main(): Promise<void> {
  const environment = required("VETTID_ENV");
  assertDevOnly("a local AWS stand-in process", environment);
  const kind = required("VETTID_STAND_IN") as StandInKind;
  if (!STAND_IN_KINDS.includes(kind)) throw new Error(`VETTID_STAND_IN must be one of ${STAND_IN_KINDS.join(", ")}`);
  const dir = required("VETTID_STAND_IN_DIR");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const port = Number(process.env.VETTID_STAND_IN_PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error("VETTID_STAND_IN_PORT must be a port");
  const server = await start(kind, dir, port, environment);
  process.stdout.write(`${JSON.stringify({ event: "ready", port: server.port })}\n`);
  stopOnSignals(async () => {
    await server.stop();
  });
}

runMain(main);
