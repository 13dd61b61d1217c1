import type { Issued } from "../nsm-sim/certificates";
import { type DevCertificate, issueDevCertificate } from "./dev-tls";

/** DEV ONLY. The two certificates of a NATS node, from the dev CA, shaped as the AWS nodes' (decision 0064). */
export interface NatsNodeCertificates {
  /** Client port: the node's addresses, TLS server usage. */
  server: DevCertificate;
  /** Cluster routes (both directions): the route identity and the node's addresses, server and client usage. */
  route: DevCertificate;
}

/** What a node's certificates name. */
export interface NatsNodeNames {
  /** Server name (the subject CN). */
  name: string;
  /** Addresses clients and peers dial (IP SANs). */
  ipv4: string[];
  /** Host names clients and peers dial (DNS SANs). */
  dns?: string[];
  /** The cluster's route identity (a DNS SAN only route certificates carry). */
  routeIdentity: string;
}

/**
 * DEV ONLY. Issues a NATS node's client-port and route certificates from `ca` (the
 * launcher's dev CA, or a test's), with the same names and usages the AWS nodes request
 * from the private CA: the client-port certificate carries the node's addresses only,
 * the route certificate also the route identity, which is what admits it as a route.
 */
export async function issueNatsNodeCertificates(ca: Issued, node: NatsNodeNames): Promise<NatsNodeCertificates> {
  const dns = node.dns ?? [];
  return {
    server: await issueDevCertificate(ca, { subjectCn: node.name, dns, ipv4: node.ipv4, usage: ["serverAuth"] }),
    route: await issueDevCertificate(ca, {
      subjectCn: node.name,
      dns: [node.routeIdentity, ...dns],
      ipv4: node.ipv4,
      usage: ["serverAuth", "clientAuth"],
    }),
  };
}
