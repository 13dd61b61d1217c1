/**
 * The enclave-side client of the proxy channels (docs/protocol.md §Proxy channels):
 * used by vault-enclave/ to reach NATS, KMS (with attested Recipient), the blob
 * store, and the host's logs and metrics.
 */
export { type BackoffOptions, backoffDelay, DEFAULT_INITIAL_DELAY_MS, DEFAULT_MAX_DELAY_MS } from "./backoff";
export { BlobChannel } from "./blob-channel";
export { ProxyClient, type ProxyClientOptions } from "./client";
export { type GeneratedDataKey, KmsChannel, type KmsRecipient } from "./kms-channel";
export { type MessageHandler, NatsChannel } from "./nats-channel";
export type { BlobObject, ClientState, ProxyNatsMessage, ProxySubscription } from "./types";
