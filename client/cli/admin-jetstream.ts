import { parseArgs } from "node:util";
import { type ConnectionOptions, connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { VettidError } from "../../lib/errors";
import { MAX_REPLICAS, SYNC_EVENTS_PER_VAULT, SYNC_RETENTION_DAYS } from "../../lib/jetstream-layout";
import { LEASE_BUCKET, SYNC_STREAM, WITNESS_BUCKET } from "../../lib/nats-auth";
import { isTlsUrl, natsTlsOptions } from "../../lib/nats-tls";
import { type AssetResult, applyJetStreamLayout } from "../operator";
import { type CliIo, type Command, printJson, UsageError } from "./command";
import { readInputText } from "./input-file";

/** How long connecting to the NATS servers may take before the command gives up. */
const CONNECT_TIMEOUT_MS = 10_000;

/** Replicas when `--replicas` is not given: the deployment's three-node cluster. */
const DEFAULT_REPLICAS = 3;

/** Hosts of a server that is the operator's own machine: a dev server without authentication. */
const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"];

const OPTIONS = {
  server: { type: "string", multiple: true },
  creds: { type: "string" },
  ca: { type: "string" },
  "tls-first": { type: "boolean" },
  replicas: { type: "string" },
  check: { type: "boolean" },
  json: { type: "boolean" },
} as const;

/** A standard NATS credentials file: the user JWT block, then the user nkey seed block. */
const CREDS_JWT = /-{3,}[^\n]*NATS USER JWT[^\n]*-{3,}\r?\n\s*[\w-]+\.[\w-]+\.[\w-]+\s*\r?\n\s*-{3,}/;
const CREDS_SEED = /-{3,}[^\n]*USER NKEY SEED[^\n]*-{3,}\r?\n\s*SU[A-Z2-7]+\s*\r?\n\s*-{3,}/;

/** The NATS server URLs of `--server` (repeatable, each a comma-separated list). */
function parseServers(values: string[] | undefined): string[] {
  const servers = (values ?? [])
    .flatMap((v) => v.split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (servers.length === 0) throw new UsageError("--server is required (the NATS servers, tls://host:port)");
  for (const server of servers) {
    if (!/^(nats|tls):\/\/[^/]+$/.test(server) || !URL.canParse(server)) {
      throw new UsageError(`--server ${server} is not a nats:// or tls:// URL`);
    }
  }
  return servers;
}

function parseReplicas(value: string | undefined): number {
  if (value === undefined) return DEFAULT_REPLICAS;
  const replicas = Number(value);
  if (!/^\d+$/.test(value) || replicas < 1 || replicas > MAX_REPLICAS) {
    throw new UsageError(`--replicas must be 1..${MAX_REPLICAS}`);
  }
  return replicas;
}

function isLoopbackPlaintext(server: string): boolean {
  return !isTlsUrl(server) && LOOPBACK_HOSTS.includes(new URL(server).hostname);
}

/** The connection options of the command's arguments, the credentials file read and checked. */
function connectionOptions(
  servers: string[],
  values: { creds?: string; ca?: string; "tls-first"?: boolean },
): ConnectionOptions {
  const tlsServers = servers.filter(isTlsUrl).length;
  if (tlsServers > 0 && tlsServers < servers.length) throw new UsageError("--server mixes tls:// and nats:// URLs");
  if (tlsServers === 0 && (values.ca !== undefined || values["tls-first"])) {
    throw new UsageError("--ca and --tls-first apply to tls:// servers only");
  }
  const caPem = values.ca === undefined ? undefined : readInputText(values.ca, "the CA file");
  const tls = natsTlsOptions(servers, {
    ...(caPem !== undefined ? { caPem } : {}),
    handshakeFirst: values["tls-first"] ?? false,
  });
  let authenticator: ConnectionOptions["authenticator"];
  if (values.creds !== undefined) {
    const creds = readInputText(values.creds, "the credentials file");
    if (!CREDS_JWT.test(creds) || !CREDS_SEED.test(creds)) {
      throw new UsageError(`${values.creds} is not a NATS credentials file (a user JWT and a user nkey seed)`);
    }
    authenticator = credsAuthenticator(new TextEncoder().encode(creds));
  } else if (!servers.every(isLoopbackPlaintext)) {
    throw new UsageError("--creds is required (a user of the VETTID account allowed to manage JetStream)");
  }
  return {
    servers,
    name: "vettid-admin-jetstream",
    reconnect: false,
    timeout: CONNECT_TIMEOUT_MS,
    ...(authenticator ? { authenticator } : {}),
    ...(tls ? { tls } : {}),
  };
}

/** A failure to connect as one line an operator can act on. */
function connectError(err: unknown, servers: string[], creds: string | undefined): VettidError {
  const name = (err as Error)?.name ?? "";
  const message = (err as Error)?.message ?? String(err);
  const at = `NATS at ${servers.join(", ")}`;
  if (name === "UserAuthenticationExpiredError" || /authentication expired/i.test(message)) {
    return new VettidError("UNAUTHENTICATED", `the user JWT in ${creds} has expired`, { cause: err });
  }
  if (name === "AuthorizationError" || /authorization violation/i.test(message)) {
    return new VettidError(
      "UNAUTHENTICATED",
      creds === undefined
        ? `${at} requires credentials: pass --creds FILE`
        : `${at} refused the credentials in ${creds} (${message})`,
      { cause: err },
    );
  }
  if (name === "TimeoutError" || /timeout/i.test(message)) {
    return new VettidError("TIMEOUT", `${at} did not answer within ${CONNECT_TIMEOUT_MS / 1000} s`, { cause: err });
  }
  const cause = (err as Error)?.cause as Error | undefined;
  const detail = cause?.message && cause.message !== message ? `${message} (${cause.message})` : message;
  return new VettidError("UNAVAILABLE", `cannot reach ${at}: ${detail}`, { cause: err });
}

/** One asset's line: `kv vettid-witness: created`, `… differs: field: actual, want expected; …`. */
export function assetLine(result: AssetResult): string {
  const state = result.state === "differs" ? `differs: ${result.differences.join("; ")}` : result.state;
  return `${result.kind} ${result.name}: ${state}`;
}

/** `vettid admin jetstream`. */
export const adminJetStreamCommand: Command = {
  name: "admin jetstream",
  summary: "create or check the deployment's JetStream buckets and stream (NATS operators)",
  usage:
    "vettid admin jetstream --server URL[,URL] --creds FILE [--ca FILE] [--tls-first] [--replicas N] [--check] [--json]",
  help: `Creates the deployment's JetStream assets in the VETTID account, or checks them:
  kv ${WITNESS_BUCKET}   the version witness (history 1, file storage)
  kv ${LEASE_BUCKET}    the vault leases (history 1, file storage)
  stream ${SYNC_STREAM}  the sealed change events (per vault the newest ${SYNC_EVENTS_PER_VAULT.toLocaleString("en")} for ${SYNC_RETENTION_DAYS} days, file storage)
each with --replicas replicas. A missing asset is created; an existing one is compared
with the layout and never updated or deleted. The vault runtime's own NATS user may use
these but not create them: run this once per environment as a user of the VETTID account
allowed to manage JetStream, and again (with --check) to see they are still as they should be.

  --server URL[,URL]  the NATS servers (tls://host:port; repeat it or separate with commas)
  --creds FILE        that user's NATS credentials file; required except when every server is
                      nats:// on loopback (127.0.0.1, localhost, [::1]: a server without authentication)
  --ca FILE           PEM of the CA the tls:// servers' certificates chain to (default: public roots)
  --tls-first         TLS before the server's INFO (handshake_first, or a TLS-terminating load balancer)
  --replicas N        replicas of every asset, 1..${MAX_REPLICAS} (default ${DEFAULT_REPLICAS}: the three-node cluster)
  --check             only compare: report missing assets instead of creating them
  --json              print {replicas, check, ok, assets: [{kind, name, streamName, state, differences}]}

Prints one line per asset as it is done: "created", "ok", "missing" (with --check), or
"differs: FIELD: ACTUAL, want EXPECTED; …" for the fields that are not as the layout says.

exit: 0 every asset ok or created, 1 one differs or is missing, or NATS failed, 2 usage`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const servers = parseServers(values.server);
    const replicas = parseReplicas(values.replicas);
    const check = values.check ?? false;
    const options = connectionOptions(servers, values);
    let nc: NatsConnection;
    try {
      nc = await connect(options);
    } catch (err) {
      throw connectError(err, servers, values.creds);
    }
    let results: AssetResult[];
    try {
      results = await applyJetStreamLayout(nc, {
        replicas,
        check,
        ...(values.json ? {} : { onResult: (result: AssetResult) => io.stdout(`${assetLine(result)}\n`) }),
      });
    } finally {
      await nc.close();
    }
    const differ = results.filter((r) => r.state === "differs").length;
    const missing = results.filter((r) => r.state === "missing").length;
    const ok = differ === 0 && missing === 0;
    if (values.json) {
      printJson(io, { replicas, check, ok, assets: results });
      return ok ? 0 : 1;
    }
    if (differ > 0) {
      io.stderr(
        `${differ} of ${results.length} differ from the layout and were left as they are: change or recreate them by hand\n`,
      );
    }
    if (missing > 0) io.stderr(`${missing} of ${results.length} missing: run without --check to create them\n`);
    return ok ? 0 : 1;
  },
};
