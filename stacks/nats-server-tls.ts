/**
 * The TLS parts of a NATS node's configuration (docs/decisions/0064): the client port
 * requires TLS with the node's server certificate, and cluster routes run over mutual
 * TLS in which only a certificate carrying the route identity is accepted as a route.
 * Pure text renderers: the node's user data writes them into nats.conf, and the
 * integration test runs a real cluster from the same text.
 */

/** Where a NATS node keeps its CA certificate, certificates and keys (written at boot, renewed daily). */
export const NATS_TLS_DIR = "/etc/nats/tls";

/** The files of one TLS identity: the CA to verify peers with, the certificate, its key. */
export interface NatsTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** The two identities of a node: `server` (client port) and `route` (cluster routes, both directions). */
export type NatsCertificateKind = "server" | "route";

/** The files of identity `kind` under `dir` (`ca.pem`, `<kind>.pem`, `<kind>-key.pem`). */
export function natsTlsFiles(dir: string, kind: NatsCertificateKind): NatsTlsFiles {
  return { caFile: `${dir}/ca.pem`, certFile: `${dir}/${kind}.pem`, keyFile: `${dir}/${kind}-key.pem` };
}

/**
 * The route identity of a cluster: a DNS name that only route certificates carry (as a
 * subject alternative name). `verify_and_map` maps a connecting route's certificate to
 * it (nats-server checks the e-mail SANs, then the DNS SANs, then the subject), and
 * `cluster.authorization.user` names it, so a certificate of the same CA issued for
 * anything else (a node's client-port certificate) is refused as a route. It never
 * resolves; it is a name in certificates only.
 */
export function routeIdentity(clusterName: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(clusterName)) throw new Error(`not a cluster name: ${clusterName}`);
  return `route.${clusterName}.nats.vettid.internal`;
}

/**
 * The client name of a cluster: a DNS name that every node's client-port (`server`)
 * certificate carries beside its address, and only those. The vault runtime's own NATS
 * connection reaches whichever node the host's tunnel picks, so it checks this one name
 * (its measured `nats.servername`) and the CA, never an address the host chose. Like the
 * route identity it never resolves, and `verify_and_map` maps it to no route user.
 */
export function clientServerName(clusterName: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(clusterName)) throw new Error(`not a cluster name: ${clusterName}`);
  return `client.${clusterName}.nats.vettid.internal`;
}

/**
 * The top-level `tls {}` block: the client port requires TLS (nats-server refuses a
 * client that does not upgrade) with the node's server certificate. Clients authenticate
 * with their JWTs, not certificates (no `verify`).
 * @param handshakeFirst TLS before INFO (`handshake_first`, nats-server ≥ 2.10): what the
 *   NLB's TLS target group and the hosts' proxies speak in AWS. nats-server 2.9 has no
 *   such option and sends INFO first.
 */
export function clientTlsBlock(files: NatsTlsFiles, handshakeFirst: boolean): string {
  return [
    "tls {",
    `  cert_file: ${JSON.stringify(files.certFile)}`,
    `  key_file: ${JSON.stringify(files.keyFile)}`,
    ...(handshakeFirst ? ["  handshake_first: true"] : []),
    "}",
  ].join("\n");
}

/** What a node's `cluster {}` block is made of. */
export interface NatsClusterTls {
  name: string;
  /** `host:port` the node accepts routes on. */
  listen: string;
  /** The other nodes, `nats-route://host:port` (each certificate must name its host). */
  routes: readonly string[];
  /** The route identity's files: presented in both directions, peers verified against `caFile`. */
  tls: NatsTlsFiles;
  /** {@link routeIdentity} of the cluster. */
  routeIdentity: string;
}

/**
 * The `cluster {}` block: routes over mutual TLS (`verify: true`: a peer without a
 * certificate of the CA is refused in both directions, and each side checks the other's
 * certificate names the host it dialled), and route authorization by certificate
 * (`verify_and_map` + `authorization.user`: the peer's certificate must carry the route
 * identity). No password exists to leak.
 */
export function clusterBlock(c: NatsClusterTls): string {
  const routes = c.routes.map((r) => `    ${JSON.stringify(r)}`).join(",\n");
  return [
    "cluster {",
    `  name: ${JSON.stringify(c.name)}`,
    `  listen: ${JSON.stringify(c.listen)}`,
    "  routes: [",
    routes,
    "  ]",
    "  tls {",
    `    cert_file: ${JSON.stringify(c.tls.certFile)}`,
    `    key_file: ${JSON.stringify(c.tls.keyFile)}`,
    `    ca_file: ${JSON.stringify(c.tls.caFile)}`,
    "    verify: true",
    "    verify_and_map: true",
    "  }",
    "  authorization {",
    `    user: ${JSON.stringify(c.routeIdentity)}`,
    "  }",
    "}",
  ].join("\n");
}
