import { execFileSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Where Debian's `nats-server` package installs the binary (not on every user's PATH). */
const DEBIAN_PATH = "/usr/sbin/nats-server";
/** `nats-server --version` answers at once; 10 s only bounds a binary that hangs. */
const VERSION_TIMEOUT_MS = 10_000;
/** What `nats-server --version` prints, e.g. `nats-server: v2.9.10`. */
const VERSION_LINE = /^nats-server: (v\d+\.\d+\.\d+\S*)\s*$/;

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

/** Raised when `NATS_SERVER_BIN` (or a found binary) is not a usable nats-server. */
export class NatsServerBinaryError extends Error {
  constructor(
    readonly binary: string,
    reason: string,
  ) {
    super(`${binary} is not a usable nats-server: ${reason}`);
    this.name = "NatsServerBinaryError";
  }
}

/** A nats-server binary and the version it reports. */
export interface NatsServerBinary {
  path: string;
  /** As `--version` prints it, e.g. `v2.9.10`. */
  version: string;
}

const versions = new Map<string, string>();

/**
 * Finds the nats-server binary: `NATS_SERVER_BIN` when set (and then only it: a
 * wrong one is an error, never a silent fall-back to another binary), else PATH,
 * then Debian's `/usr/sbin/nats-server`.
 * @throws NatsServerBinaryError when `NATS_SERVER_BIN` is missing, not an executable file, or not a nats-server
 * @throws NatsServerNotFoundError with install instructions when there is none
 */
export function findNatsServer(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.NATS_SERVER_BIN;
  if (given !== undefined && given !== "") {
    const problem = executableProblem(given);
    if (problem) throw new NatsServerBinaryError(given, `NATS_SERVER_BIN: ${problem}`);
    natsServerVersion(given);
    return given;
  }
  const candidates = [
    ...(env.PATH ?? "")
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, "nats-server")),
    DEBIAN_PATH,
  ];
  for (const candidate of candidates) if (!executableProblem(candidate)) return candidate;
  throw new NatsServerNotFoundError();
}

/**
 * The version `binary --version` reports (run once per path).
 * @throws NatsServerBinaryError when it does not run or does not answer as nats-server does
 */
export function natsServerVersion(binary: string): string {
  const known = versions.get(binary);
  if (known) return known;
  let output: string;
  try {
    output = execFileSync(binary, ["--version"], {
      encoding: "utf8",
      timeout: VERSION_TIMEOUT_MS,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (err) {
    throw new NatsServerBinaryError(binary, `\`--version\` failed (${(err as Error).message.split("\n")[0]})`);
  }
  const version = VERSION_LINE.exec(output.trim())?.[1];
  if (!version) {
    const first = output.trim().split("\n")[0] ?? "";
    throw new NatsServerBinaryError(binary, `\`--version\` printed ${JSON.stringify(first.slice(0, 80))}`);
  }
  versions.set(binary, version);
  return version;
}

/** {@link findNatsServer} with the version of what it found. */
export function describeNatsServer(env: NodeJS.ProcessEnv = process.env): NatsServerBinary {
  const path = findNatsServer(env);
  return { path, version: natsServerVersion(path) };
}

function executableProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return "not a file";
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "no such file" : code === "EACCES" ? "not executable" : String(code);
  }
}
