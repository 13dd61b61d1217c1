import type { ConnectionOptions } from "@nats-io/transport-node";
import { ConfigError } from "../config";
import { isTlsUrl } from "./urls";

/** How a NATS client secures its connections to `tls://` servers. */
export interface NatsTlsSettings {
  /**
   * PEM of the CA certificate(s) the servers' certificates must chain to, and the only
   * roots trusted. Absent: Node's public roots (a public endpoint, e.g. the NLB's ACM
   * certificate). Either way the certificate must name the host of the URL.
   */
  caPem?: string;
  /**
   * TLS before the server's INFO (nats.js `handshakeFirst`): required by a TLS-terminating
   * load balancer and by nats-server's `handshake_first`; a server without it (nats-server
   * 2.9) sends INFO first and expects the client to upgrade.
   */
  handshakeFirst: boolean;
}

/** The `tls` connection option nats.js takes. */
export type NatsTlsOptions = NonNullable<ConnectionOptions["tls"]>;

/**
 * The `tls` option of a nats.js connection to `servers`: undefined for plaintext
 * `nats://` servers (local / dev; check them with `assertNatsUrls` first), otherwise
 * an object, which makes nats.js refuse a server that does not speak TLS. nats.js
 * verifies the certificate chain and the URL's host name itself (`rejectUnauthorized`
 * stays at its default, true; nothing here can turn it off), against the configured CA
 * alone when one is given.
 *
 * @example
 * const tls = natsTlsOptions(config.VETTID_NATS_URL, { caPem, handshakeFirst: true });
 * const nc = await connect({ servers: config.VETTID_NATS_URL, ...(tls ? { tls } : {}) });
 * @throws ConfigError when the list mixes tls:// and nats:// servers
 */
export function natsTlsOptions(servers: readonly string[], settings: NatsTlsSettings): NatsTlsOptions | undefined {
  const tls = servers.filter(isTlsUrl).length;
  if (tls === 0) return undefined;
  if (tls !== servers.length) throw new ConfigError("NATS servers mix tls:// and nats:// URLs");
  return {
    ...(settings.caPem !== undefined ? { ca: settings.caPem } : {}),
    ...(settings.handshakeFirst ? { handshakeFirst: true } : {}),
  };
}
