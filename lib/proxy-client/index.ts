/**
 * The enclave-side client of the proxy channels (docs/protocol.md §Proxy channels):
 * used by vault-enclave/ to reach NATS, the blob store, a byte tunnel to KMS (for TLS
 * that ends inside the enclave), and the host's logs and metrics.
 */
export { type BackoffOptions, backoffDelay, DEFAULT_INITIAL_DELAY_MS, DEFAULT_MAX_DELAY_MS } from "./backoff";
export { BlobChannel } from "./blob-channel";
export { ProxyClient, type ProxyClientOptions } from "./client";
export { type MessageHandler, NatsChannel } from "./nats-channel";
export { TunnelChannel, type TunnelUpstream } from "./tunnel-channel";
export type { AwsCredentials, BlobObject, ClientState, ProxyNatsMessage, ProxySubscription } from "./types";
