import type { KeyObject } from "node:crypto";
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import type { Nsm } from "../../lib/attestation";
import { generateRecipientKeyPair, MAX_ENVELOPED_DATA_BYTES, openEnvelopedData } from "../../lib/cms";
import { fromAwsError, VettidError } from "../../lib/errors";
import type { AwsCredentials } from "../../lib/proxy-client";
import {
  DATA_KEY_BYTES,
  KMS_REQUEST_TIMEOUT_MS,
  MAX_CIPHERTEXT_BLOB_BYTES,
  RECIPIENT_DOCUMENT_TTL_MS,
  RECIPIENT_KEY_TTL_MS,
} from "./constants";
import { KmsAnswerRefused } from "./errors";
import { TunnelHttpsAgent, type VerifiedPeer } from "./tunnel-agent";

/** What the enclave's KMS client needs; every security setting comes from the measured configuration. */
export interface SealingKmsOptions {
  /** AWS region of the sealing key. */
  region: string;
  /** The KMS endpoint name the TLS certificate must carry (e.g. `kms.eu-central-1.amazonaws.com`). */
  endpointName: string;
  /** The sealing key's ARN; an answer naming another key is refused. */
  keyArn: string;
  /** Roots trusted for KMS's certificate (PEM). */
  trustRoots: readonly string[];
  /** A byte tunnel to the KMS upstream through the host. */
  openTunnel: TunnelAgentOpen;
  /** The instance role's credentials, from the host. */
  credentials: () => Promise<AwsCredentials>;
  /** The NSM: binds the recipient key into the `Recipient` attestation document. */
  nsm: Pick<Nsm, "attest">;
  /** Called for each TLS connection verified inside the enclave. */
  onVerified?: (peer: VerifiedPeer) => void;
  /** SDK attempts per call (default the SDK's standard retry mode: 3). */
  maxAttempts?: number;
  /** Clock (tests). */
  now?: () => number;
}

type TunnelAgentOpen = ConstructorParameters<typeof TunnelHttpsAgent>[0]["openTunnel"];

/** A data key as the vault uses it: the plaintext stays in the enclave, the blob is stored. */
export interface DataKey {
  plaintext: Uint8Array;
  ciphertextBlob: Uint8Array;
}

interface Recipient {
  privateKey: KeyObject;
  document: Uint8Array;
}

/**
 * The vault's sealing key, reached from inside the enclave (DESIGN.md §3.2, §5): the
 * real `@aws-sdk/client-kms` over TLS that ends here ({@link TunnelHttpsAgent}),
 * every call with an attested `Recipient`, so KMS answers only `CiphertextForRecipient`
 * (CMS to this enclave's RSA key) and the plaintext data key never exists outside.
 * Every answer is checked: the key must be the pinned ARN, `Plaintext` must be
 * empty, `CiphertextForRecipient` present and opening to a key of the right length.
 *
 * @example
 * const kms = new SealingKms({ region, endpointName, keyArn, trustRoots, nsm,
 *   openTunnel: () => proxy.tunnel.open("kms"), credentials: () => proxy.awsCredentials() });
 * const { plaintext, ciphertextBlob } = await kms.generateDataKey({ vault: vaultId });
 */
export class SealingKms {
  private readonly client: KMSClient;
  private readonly agent: TunnelHttpsAgent;
  private readonly now: () => number;
  private key: { pair: ReturnType<typeof generateRecipientKeyPair>; createdAt: number } | undefined;
  private recipientCache: { value: Promise<Recipient>; createdAt: number } | undefined;

  constructor(private readonly options: SealingKmsOptions) {
    this.now = options.now ?? Date.now;
    this.agent = new TunnelHttpsAgent({
      openTunnel: options.openTunnel,
      servername: options.endpointName,
      ca: options.trustRoots,
      ...(options.onVerified ? { onVerified: options.onVerified } : {}),
    });
    this.client = new KMSClient({
      region: options.region,
      endpoint: `https://${options.endpointName}`,
      credentials: options.credentials,
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
      requestHandler: {
        httpsAgent: this.agent,
        connectionTimeout: KMS_REQUEST_TIMEOUT_MS,
        requestTimeout: KMS_REQUEST_TIMEOUT_MS,
      },
    });
  }

  /**
   * GenerateDataKey (32 bytes) under the pinned key with `Recipient`, bound to
   * `encryptionContext` (the key policy requires the vault id there).
   * @throws KmsAnswerRefused for an answer that fails a check; VettidError
   *   `UNAVAILABLE` when KMS cannot be reached or refuses (e.g. the key policy).
   */
  async generateDataKey(encryptionContext: Record<string, string>): Promise<DataKey> {
    const recipient = await this.recipient();
    const out = await this.send(
      () =>
        this.client.send(
          new GenerateDataKeyCommand({
            KeyId: this.options.keyArn,
            NumberOfBytes: DATA_KEY_BYTES,
            EncryptionContext: encryptionContext,
            Recipient: { AttestationDocument: recipient.document, KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256" },
          }),
        ),
      "GenerateDataKey",
    );
    const blob = out.CiphertextBlob;
    if (!(blob instanceof Uint8Array) || blob.length === 0 || blob.length > MAX_CIPHERTEXT_BLOB_BYTES) {
      throw new KmsAnswerRefused("CiphertextBlob missing or too large");
    }
    return { plaintext: this.open(out, recipient), ciphertextBlob: new Uint8Array(blob) };
  }

  /**
   * Decrypt of a stored `CiphertextBlob` under the pinned key with `Recipient`. The
   * plaintext must be `plaintextBytes` long (a vault's 32-byte root key unless told:
   * the sealed NATS seed is 58), so an answer of another length is refused.
   * @throws KmsAnswerRefused / VettidError as {@link generateDataKey}.
   */
  async decrypt(
    ciphertextBlob: Uint8Array,
    encryptionContext: Record<string, string>,
    plaintextBytes: number = DATA_KEY_BYTES,
  ): Promise<Uint8Array> {
    if (ciphertextBlob.length === 0 || ciphertextBlob.length > MAX_CIPHERTEXT_BLOB_BYTES) {
      throw new VettidError("VALIDATION_FAILED", "ciphertext blob of a wrong size");
    }
    const recipient = await this.recipient();
    const out = await this.send(
      () =>
        this.client.send(
          new DecryptCommand({
            KeyId: this.options.keyArn,
            CiphertextBlob: ciphertextBlob,
            EncryptionContext: encryptionContext,
            Recipient: { AttestationDocument: recipient.document, KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256" },
          }),
        ),
      "Decrypt",
    );
    return this.open(out, recipient, plaintextBytes);
  }

  /** Closes the client's connections. */
  destroy(): void {
    this.client.destroy();
    this.agent.destroy();
  }

  private async send<T>(call: () => Promise<T>, operation: string): Promise<T> {
    try {
      return await call();
    } catch (err) {
      // AWS's error names (AccessDeniedException for a key policy that excludes this
      // PCR0, …) map to our codes; a TLS failure (a certificate that does not verify,
      // or for another name) is UNAVAILABLE. Messages never carry key material.
      throw fromAwsError(err, `KMS ${operation}`);
    }
  }

  private open(
    out: { KeyId?: string; Plaintext?: Uint8Array; CiphertextForRecipient?: Uint8Array },
    recipient: Recipient,
    plaintextBytes: number = DATA_KEY_BYTES,
  ): Uint8Array {
    if (out.Plaintext !== undefined && out.Plaintext.length > 0) {
      out.Plaintext.fill(0);
      throw new KmsAnswerRefused("a Plaintext came back for a Recipient request");
    }
    if (out.KeyId !== this.options.keyArn) throw new KmsAnswerRefused("the answer is for another key");
    const envelope = out.CiphertextForRecipient;
    if (!(envelope instanceof Uint8Array) || envelope.length === 0 || envelope.length > MAX_ENVELOPED_DATA_BYTES) {
      throw new KmsAnswerRefused("CiphertextForRecipient missing or too large");
    }
    return openEnvelopedData(envelope, recipient.privateKey, plaintextBytes);
  }

  /** The current recipient: an RSA key (rotated hourly) and a fresh document binding it. */
  private recipient(): Promise<Recipient> {
    const now = this.now();
    if (!this.key || now - this.key.createdAt >= RECIPIENT_KEY_TTL_MS) {
      this.key = { pair: generateRecipientKeyPair(), createdAt: now };
      this.recipientCache = undefined;
    }
    if (!this.recipientCache || now - this.recipientCache.createdAt >= RECIPIENT_DOCUMENT_TTL_MS) {
      const pair = this.key.pair;
      const value = this.options.nsm
        .attest({ publicKey: pair.publicKeySpki })
        .then((document) => ({ privateKey: pair.privateKey, document }));
      value.catch(() => {
        if (this.recipientCache?.value === value) this.recipientCache = undefined;
      });
      this.recipientCache = { value, createdAt: now };
    }
    return this.recipientCache.value;
  }
}
