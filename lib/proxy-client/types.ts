/** A NATS message delivered to the enclave through the proxy. */
export interface ProxyNatsMessage {
  subject: string;
  /** Where to send the answer (`respond`), when the sender expects one. */
  reply: string | undefined;
  data: Uint8Array;
}

/** A live subscription; it survives reconnects (the client subscribes again). */
export interface ProxySubscription {
  readonly subject: string;
  unsubscribe(): Promise<void>;
}

/** An object read from the blob store. */
export interface BlobObject {
  data: Uint8Array;
  /** Opaque version (the store's ETag); pass it as `expectedVersion` to overwrite. */
  version: string;
}

/** Connection states of the client. */
export const CLIENT_STATES = ["connecting", "ready", "closed"] as const;
export type ClientState = (typeof CLIENT_STATES)[number];

/**
 * AWS credentials the host hands the enclave (the shape of the SDK's
 * `AwsCredentialIdentity`, so it can be a client's `credentials` provider's result).
 */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}
