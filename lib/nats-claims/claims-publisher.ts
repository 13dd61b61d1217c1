import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { type NatsTlsSettings, natsTlsOptions } from "../nats-tls";

/** Pushes an updated account JWT to every NATS server (a port; the NATS adapter is below). */
export interface AccountClaimsPublisher {
  publish(accountJwt: string): Promise<void>;
}

/** Options of {@link createNatsClaimsPublisher}. */
export interface NatsClaimsPublisherOptions {
  servers: string[];
  /** A creds file (text) of a user of the system account. */
  systemUserCreds: string;
  /** How `tls://` servers are reached (CA, TLS first); `nats://` servers ignore it. */
  tls?: NatsTlsSettings;
  timeoutMs?: number;
}

/**
 * Publishes account JWT updates with `$SYS.REQ.CLAIMS.UPDATE` as a system-account
 * user. With the full resolver every server stores the JWT and applies its
 * revocations at once, closing connections of revoked users.
 */
export function createNatsClaimsPublisher(options: NatsClaimsPublisherOptions): AccountClaimsPublisher {
  return {
    async publish(accountJwt) {
      const tls = natsTlsOptions(options.servers, options.tls ?? { handshakeFirst: false });
      const nc = await connect({
        servers: options.servers,
        ...(tls ? { tls } : {}),
        authenticator: credsAuthenticator(new TextEncoder().encode(options.systemUserCreds)),
        timeout: options.timeoutMs ?? 5_000,
        name: "vettid-claims-publisher",
      });
      try {
        const reply = await nc.request("$SYS.REQ.CLAIMS.UPDATE", new TextEncoder().encode(accountJwt), {
          timeout: options.timeoutMs ?? 5_000,
        });
        const body = JSON.parse(new TextDecoder().decode(reply.data)) as { error?: { description?: string } };
        if (body.error) throw new Error(`claims update refused: ${body.error.description ?? "unknown"}`);
      } finally {
        await nc.close();
      }
    },
  };
}
