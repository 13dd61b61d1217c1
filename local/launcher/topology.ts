import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type NatsServer, startNatsServer } from "../nats";
import type { Progress } from "./progress";

/** What `npm start -- --serve` publishes in `.vettid/local/endpoints.json`. */
export interface Endpoints {
  nats: string;
  stateDir: string;
  [extra: string]: unknown;
}

/** The running local topology. */
export interface Topology {
  endpoints: Endpoints;
  /** Stops every child process, in reverse start order. */
  stop(): Promise<void>;
}

/**
 * Starts the parts of the local topology that exist, each under `stateDir`, and
 * writes `endpoints.json` there when ready.
 */
export async function startTopology(stateDir: string, progress: Progress): Promise<Topology> {
  mkdirSync(stateDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const natsDir = join(stateDir, "nats");
    mkdirSync(natsDir, { recursive: true });
    const nats: NatsServer = await progress.step("nats-server with JetStream", () => startNatsServer({ dir: natsDir }));
    stops.push(() => nats.stop());
    progress.info(`nats-server listening on ${nats.url} (store in ${natsDir})`);

    const endpoints: Endpoints = { nats: nats.url, stateDir };
    writeFileSync(join(stateDir, "endpoints.json"), `${JSON.stringify(endpoints, null, 2)}\n`);
    return { endpoints, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
