/** The runtime's own NATS connection, through a host tunnel with TLS that ends in the enclave. */
export {
  boundFirstLine,
  connectOverTunnel,
  MAX_INFO_LINE_BYTES,
  TUNNEL_SERVER_LABEL,
  type TunnelNatsOptions,
  type TunnelNatsTls,
} from "./tunnel-transport";
