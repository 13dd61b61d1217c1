import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assertDevOnly } from "../../lib/config";
import { type LocalEdge, startLocalEdge } from "./edge";
import { type OperatorNats, startOperatorNats } from "./nats";
import type { Progress } from "./progress";

/** What `npm start -- --serve` publishes in `.vettid/local/endpoints.json`. */
export interface Endpoints {
  /** Base URL of the REST edge (local API Gateway v2 adapter). */
  rest: string;
  /** NATS client URL (operator/JWT mode). */
  nats: string;
  /** Dev-only operator token for the admin routes (`Authorization: Bearer …`). */
  adminToken: string;
  stateDir: string;
  /** AWS stand-ins (pass as `endpoint` to the SDK clients). */
  dynamodb: string;
  secretsManager: string;
  /** The operator's public key and the VettID account's public key. */
  natsOperator: string;
  natsAccount: string;
  /** Creds of the system user that pushes claim updates (dev keys). */
  natsSystemCreds: string;
  /** The launcher's pid and its children's, so a caller can check they all stop. */
  pids: { launcher: number; nats?: number };
  [extra: string]: unknown;
}

/** The running local topology. */
export interface Topology {
  endpoints: Endpoints;
  nats: OperatorNats;
  edge: LocalEdge;
  /** Stops every child process and server, in reverse start order. */
  stop(): Promise<void>;
}

/**
 * Starts the parts of the local topology that exist, with all state under
 * `stateDir`, and writes `endpoints.json` there when ready. Refuses to run unless
 * VETTID_ENV is unset, `local` or `dev`.
 */
export async function startTopology(stateDir: string, progress: Progress): Promise<Topology> {
  assertDevOnly("the local launcher", process.env.VETTID_ENV ?? "local");
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const endpointsPath = join(stateDir, "endpoints.json");
  rmSync(endpointsPath, { force: true });
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    rmSync(endpointsPath, { force: true });
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    const natsDir = join(stateDir, "nats");
    const nats = await progress.step("nats-server in operator/JWT mode with JetStream and the full resolver", () =>
      startOperatorNats(natsDir),
    );
    stops.push(() => nats.stop());
    progress.info(`nats-server on ${nats.server.url}; dev operator and account keys in ${join(natsDir, "keys.json")}`);

    const adminToken = randomBytes(24).toString("base64url");
    const edge = await progress.step(
      "REST edge on the API Gateway v2 adapter, dynalite and the Secrets Manager stand-in",
      () => startLocalEdge({ natsUrls: [nats.server.url], keys: nats.keys, auth: nats.auth, adminToken }),
    );
    stops.push(() => edge.stop());
    progress.info(
      `REST edge on ${edge.rest.url} (dynalite ${edge.dynamodb.endpoint}, secrets ${edge.secrets.endpoint})`,
    );

    const endpoints: Endpoints = {
      rest: edge.rest.url,
      nats: nats.server.url,
      adminToken,
      stateDir,
      dynamodb: edge.dynamodb.endpoint,
      secretsManager: edge.secrets.endpoint,
      natsOperator: nats.keys.operatorPublicKey,
      natsAccount: nats.keys.accountPublicKey,
      natsSystemCreds: join(natsDir, "system-user.creds"),
      pids: { launcher: process.pid, ...(nats.server.pid ? { nats: nats.server.pid } : {}) },
    };
    writeFileSync(endpointsPath, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
    return { endpoints, nats, edge, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
