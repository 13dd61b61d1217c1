import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type ConnectionOptions,
  connect,
  createInbox,
  credsAuthenticator,
  type NatsConnection,
} from "@nats-io/transport-node";
import { VettidError } from "../../lib/errors";
import { natsTlsOptions } from "../../lib/nats-tls";
import { deviceInboxPrefix } from "../../lib/subjects";
import { type DeviceFile, STATE_FILES } from "../device";
import type { VaultGather, VaultTransport } from "../vault";

/** How long connecting to the NATS servers may take before the command gives up. */
const CONNECT_TIMEOUT_MS = 10_000;

/** Where a NATS failure happened, for its message. */
export interface NatsErrorContext {
  servers: string[];
  /** The device's state directory (for the refresh hint). */
  dir: string;
  subject?: string;
}

/** A NATS failure as one line a user can act on. */
export function natsError(err: unknown, context: NatsErrorContext): VettidError {
  const { servers, subject } = context;
  const refreshHint = `refresh them with: vettid refresh --state ${context.dir}`;
  const name = (err as Error)?.name ?? "";
  const message = (err as Error)?.message ?? String(err);
  const noResponders =
    name === "NoRespondersError" ||
    (typeof (err as { isNoResponders?: () => boolean })?.isNoResponders === "function" &&
      (err as { isNoResponders: () => boolean }).isNoResponders());
  if (name === "UserAuthenticationExpiredError" || /authentication expired/i.test(message)) {
    return new VettidError("UNAUTHENTICATED", `the device's NATS credentials expired; ${refreshHint}`, { cause: err });
  }
  if (/authentication revoked/i.test(message)) {
    return new VettidError("UNAUTHENTICATED", `NATS revoked the device's credentials (${message})`, { cause: err });
  }
  if (name === "AuthorizationError" || /authorization violation/i.test(message)) {
    return new VettidError("UNAUTHENTICATED", `NATS refused the device's credentials (${message}); ${refreshHint}`, {
      cause: err,
    });
  }
  if (name === "PermissionViolationError" || /permissions violation/i.test(message)) {
    return new VettidError("FORBIDDEN", `NATS does not let this device use ${subject ?? "that subject"}`, {
      cause: err,
    });
  }
  if (noResponders) {
    return new VettidError("UNAVAILABLE", `no enclave serves this vault right now (no responders on ${subject})`, {
      cause: err,
    });
  }
  if (name === "TimeoutError" || /timeout/i.test(message)) {
    return new VettidError(
      "TIMEOUT",
      subject ? `the vault did not answer on ${subject} in time` : `NATS at ${servers.join(", ")} did not answer`,
      { cause: err },
    );
  }
  return new VettidError("UNAVAILABLE", `cannot reach NATS at ${servers.join(", ")}: ${message}`, { cause: err });
}

/**
 * Connects as the device: its own credentials (`DIR/nats.creds`) and its own inbox
 * prefix, so replies come to the only inbox its JWT lets it subscribe to. Without a
 * creds file it connects without credentials, which only a server without
 * authentication (a test's) accepts.
 */
export async function connectDevice(dir: string, device: DeviceFile): Promise<NatsConnection> {
  const credsPath = join(dir, STATE_FILES.creds);
  const authenticator = existsSync(credsPath) ? credsAuthenticator(readFileSync(credsPath)) : undefined;
  try {
    return await connect({
      ...deviceConnectionOptions(device),
      ...(authenticator ? { authenticator } : {}),
    });
  } catch (err) {
    throw natsError(err, { servers: device.nats.servers, dir });
  }
}

/**
 * The device's connection options besides its credentials. `tls://` servers (what the
 * edge hands out outside local/dev: the public NLB, which terminates TLS) are reached
 * TLS-first, before the server says anything, and checked against Node's public roots
 * and the URL's host name (docs/decisions/0064); `nats://` only where the edge hands
 * those out (the local topology).
 * @throws ConfigError when the list mixes tls:// and nats:// servers
 */
export function deviceConnectionOptions(device: Pick<DeviceFile, "deviceId" | "nats">): ConnectionOptions {
  const tls = natsTlsOptions(device.nats.servers, { handshakeFirst: true });
  return {
    servers: device.nats.servers,
    inboxPrefix: deviceInboxPrefix(device.deviceId),
    name: "vettid-cli",
    reconnect: false,
    timeout: CONNECT_TIMEOUT_MS,
    ...(tls ? { tls } : {}),
  };
}

/**
 * Every answer to one request on the device's request subject within `windowMs`, as it
 * arrives: each host's answer to a handshake or sealed request, of which the device
 * takes the one that authenticates (decision 0079), and the attestations of the
 * enclaves a device that found its enclave silent chooses from (decision 0078). A plain subscription on a fresh inbox under
 * `inboxPrefix`, not nats.js request-many: that ends at the first status message, and a
 * host may answer with a forged "no responders" to cut the window short. Status
 * messages (the server's own among them) are passed over; the window always runs its
 * length unless the device stops listening once it chose (aborting `signal`, or
 * returning from the iteration); a connection that closes ends it with an error.
 */
export function natsGather(
  nc: NatsConnection,
  subject: string,
  inboxPrefix: string,
  context: NatsErrorContext,
): VaultGather {
  return async function* gather(data, windowMs, signal) {
    const inbox = createInbox(inboxPrefix);
    let replies: ReturnType<NatsConnection["subscribe"]>;
    try {
      replies = nc.subscribe(inbox);
      nc.publish(subject, data, { reply: inbox });
    } catch (err) {
      throw natsError(err, { ...context, subject });
    }
    const stop = () => replies.unsubscribe();
    const window = setTimeout(stop, windowMs);
    signal?.addEventListener("abort", stop, { once: true });
    if (signal?.aborted) stop();
    try {
      for await (const reply of replies) {
        if (reply.headers?.hasError || reply.data.length === 0) continue;
        yield reply.data;
      }
      // a connection that closed ends the subscription too: that is no window that ran
      // its length, and says nothing of who would have answered
      if (nc.isClosed()) {
        const why = await nc.closed();
        throw natsError(why instanceof Error ? why : new Error("the connection closed"), { ...context, subject });
      }
    } finally {
      clearTimeout(window);
      signal?.removeEventListener("abort", stop);
      replies.unsubscribe();
    }
  };
}

/** The vault transport over one NATS connection: request/reply on the device's request subject. */
export function natsTransport(nc: NatsConnection, subject: string, context: NatsErrorContext): VaultTransport {
  return async (data, timeoutMs) => {
    try {
      return (await nc.request(subject, data, { timeout: timeoutMs })).data;
    } catch (err) {
      // a connection the server closed says why (e.g. the device's credentials were revoked)
      const why = nc.isClosed() ? await nc.closed() : undefined;
      throw natsError(why instanceof Error ? why : err, { ...context, subject });
    }
  };
}
