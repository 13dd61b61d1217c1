import { Agent, type AgentOptions, type RequestOptions } from "node:https";
import type { Duplex } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import { MAX_KMS_SOCKETS } from "./constants";

/** What the enclave verified about a TLS peer (for logs and the local journey). */
export interface VerifiedPeer {
  /** The name checked against the certificate (the measured KMS endpoint name). */
  servername: string;
  /** Subject and issuer common names of the peer's certificate. */
  subject: string;
  issuer: string;
  /** SHA-256 fingerprint of the peer's certificate (colon-separated hex, as node:tls gives it). */
  fingerprint256: string;
  /** The negotiated protocol, e.g. `TLSv1.3`. */
  protocol: string;
}

/** Options of {@link TunnelHttpsAgent}. */
export interface TunnelAgentOptions {
  /** Opens one byte stream to the KMS upstream through the host (lib/proxy-client `tunnel.open("kms")`). */
  openTunnel(): Promise<Duplex>;
  /** The name the server certificate must carry; from the measured configuration, never the host. */
  servername: string;
  /** The only roots trusted for that certificate (PEM). */
  ca: readonly string[];
  /** Called once per connection whose certificate chain and name were verified. */
  onVerified?: (peer: VerifiedPeer) => void;
  /** Sockets kept (default {@link MAX_KMS_SOCKETS}). */
  maxSockets?: number;
}

/**
 * An `https.Agent` whose connections are TLS sessions run inside the enclave over a
 * byte tunnel through the host. The AWS SDK's `NodeHttpHandler` takes it as its
 * `httpsAgent` unchanged. The certificate is checked here against `ca` and
 * `servername` (node:tls `rejectUnauthorized` and `checkServerIdentity`), so the host,
 * which only forwards bytes, cannot answer in KMS's name: a made-up answer fails the
 * TLS session before the SDK sees a byte of it.
 *
 * @example
 * const agent = new TunnelHttpsAgent({ openTunnel: () => client.tunnel.open("kms"), servername, ca });
 * const kms = new KMSClient({ region, endpoint: `https://${servername}`, requestHandler: { httpsAgent: agent } });
 */
export class TunnelHttpsAgent extends Agent {
  constructor(private readonly tunnel: TunnelAgentOptions) {
    const options: AgentOptions = {
      keepAlive: true,
      maxSockets: tunnel.maxSockets ?? MAX_KMS_SOCKETS,
      maxFreeSockets: tunnel.maxSockets ?? MAX_KMS_SOCKETS,
    };
    super(options);
  }

  /**
   * Called by node:http for each new connection. The SDK's host name and port are
   * ignored: the tunnel has one upstream, and the certificate must match the
   * measured `servername`.
   */
  override createConnection(
    _options: RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | undefined {
    this.tunnel.openTunnel().then(
      (stream) => {
        const socket = tlsConnect({
          socket: stream,
          servername: this.tunnel.servername,
          ca: [...this.tunnel.ca],
          rejectUnauthorized: true,
          minVersion: "TLSv1.2",
          ALPNProtocols: ["http/1.1"],
        });
        socket.once("secureConnect", () => {
          const cert = socket.getPeerCertificate();
          this.tunnel.onVerified?.({
            servername: this.tunnel.servername,
            subject: String(cert.subject?.CN ?? ""),
            issuer: String(cert.issuer?.CN ?? ""),
            fingerprint256: cert.fingerprint256 ?? "",
            protocol: socket.getProtocol() ?? "",
          });
        });
        callback?.(null, socket);
      },
      (err: unknown) => callback?.(err instanceof Error ? err : new Error(String(err)), undefined as unknown as Duplex),
    );
    return undefined;
  }
}
