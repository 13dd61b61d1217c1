/** TCP ports of the topology. */
export const PORTS = {
  /** NATS client connections (public through the NLB TLS listener; private between hosts). */
  natsClient: 4222,
  /** NATS cluster routes between the three nodes. */
  natsCluster: 6222,
  /** NATS monitoring (/healthz for the NLB health check); never public. */
  natsMonitor: 8222,
  /** HTTPS to the VPC interface endpoints. */
  https: 443,
} as const;
