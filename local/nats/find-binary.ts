import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** Where Debian's `nats-server` package installs the binary (not on every user's PATH). */
const DEBIAN_PATH = "/usr/sbin/nats-server";

/** Raised when no nats-server binary can be found. */
export class NatsServerNotFoundError extends Error {
  constructor() {
    super(
      "nats-server not found on PATH: install it (Debian/Ubuntu: `sudo apt-get install -y nats-server`, " +
        "or a release binary from the NATS project) or set NATS_SERVER_BIN to its path",
    );
    this.name = "NatsServerNotFoundError";
  }
}

/**
 * Finds the nats-server binary: `NATS_SERVER_BIN`, then PATH, then Debian's
 * `/usr/sbin/nats-server`.
 * @throws NatsServerNotFoundError with install instructions.
 */
export function findNatsServer(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [
    env.NATS_SERVER_BIN,
    ...(env.PATH ?? "")
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, "nats-server")),
    DEBIAN_PATH,
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new NatsServerNotFoundError();
}
