/**
 * Jest helpers around local/nats: start a real nats-server (or a 3-node cluster)
 * for a test file and stop it after, also when a test fails.
 */
import {
  type NatsCluster,
  type NatsServer,
  type NatsServerOptions,
  startNatsCluster,
  startNatsServer,
} from "../../local/nats";

/**
 * Starts one nats-server before the tests of the enclosing `describe` and stops it after.
 * Read `.current` inside tests.
 */
export function useNatsServer(options: NatsServerOptions = {}): { readonly current: NatsServer } {
  let server: NatsServer | undefined;
  beforeAll(async () => {
    server = await startNatsServer(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get current(): NatsServer {
      if (!server) throw new Error("nats-server is not started yet (use it inside a test)");
      return server;
    },
  };
}

/** Like {@link useNatsServer}, for a cluster of `size` nodes. */
export function useNatsCluster(
  size = 3,
  options: Omit<NatsServerOptions, "cluster" | "port" | "name" | "dir"> = {},
): {
  readonly current: NatsCluster;
} {
  let cluster: NatsCluster | undefined;
  beforeAll(async () => {
    cluster = await startNatsCluster(size, options);
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return {
    get current(): NatsCluster {
      if (!cluster) throw new Error("nats cluster is not started yet (use it inside a test)");
      return cluster;
    },
  };
}
