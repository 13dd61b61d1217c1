/**
 * The proxy's upstreams, as interfaces so the channels can be tested without I/O.
 * Production adapters: {@link ./nats.ts} (a real NATS client), {@link ./s3.ts}
 * (@aws-sdk/client-s3); credentials from the SDK's default provider chain. Every method throws
 * VettidError only (see ./errors.ts for the mapping).
 */

/** A NATS connection with the host's credentials. */
export interface NatsUpstream {
  subscribe(
    subject: string,
    onMessage: (subject: string, reply: string | undefined, data: Uint8Array) => void,
  ): { unsubscribe(): void };
  publish(subject: string, data: Uint8Array): void;
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Whether the connection is up right now (it reconnects by itself). */
  connected(): boolean;
  close(): Promise<void>;
}

/**
 * The instance role's AWS credentials (the SDK's default provider chain on the host).
 * Handed to the attested enclave so it can sign its own KMS requests; they are the
 * host's anyway, and what guards vault keys is the key policy's attestation condition.
 */
export type CredentialSource = () => Promise<{
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}>;

/** A blob store with conditional writes (S3: If-Match / If-None-Match). */
export interface BlobStore {
  /** The object and its version, or `undefined` when absent. */
  get(key: string): Promise<{ data: Uint8Array; version: string } | undefined>;
  /** Writes only if the current version is `expectedVersion` (`null`: only if absent); returns the new version. */
  put(key: string, data: Uint8Array, expectedVersion: string | null): Promise<string>;
  delete(key: string, expectedVersion: string | undefined): Promise<void>;
}
