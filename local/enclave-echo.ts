/**
 * DEV ONLY — a stand-in for the vault runtime (vault-enclave/), which arrives in a
 * later issue. It plays the enclave side of the local topology for real: connects
 * to the vsock proxy through lib/proxy-client over the proxy's Unix socket, attests
 * with the simulated NSM, subscribes to vault request subjects through the proxy's
 * `nats` channel and answers E2E-sealed requests as the enclave role of lib/envelope's
 * SealedChannel. `echo` answers the same plaintext; `state.put` seals the plaintext
 * with a KMS data key obtained with an attested Recipient and writes it through the
 * proxy's `blob` channel. KMS is reached as the vault runtime reaches it
 * (vault-enclave/kms): the real SDK over TLS that ends here, through the proxy's byte
 * tunnel, trusting only the roots of the measured configuration; the CMS is opened
 * here, so the host never sees the key.
 *
 * The attested device↔enclave handshake does not exist yet: {@link EnclaveEcho.acceptSession}
 * is called in-process with the device's X25519 public key instead.
 */
import { createCipheriv, randomBytes } from "node:crypto";
import type { Nsm } from "../lib/attestation";
import { sodiumReady } from "../lib/crypto";
import { deriveSessionKeys, type EnvelopeContext, SealedChannel } from "../lib/envelope";
import { isVettidError } from "../lib/errors";
import { unixSocketTransport } from "../lib/frame-link";
import { ProxyClient, type ProxyNatsMessage } from "../lib/proxy-client";
import { blobKey } from "../lib/proxy-protocol";
import { vaultRequestSubject, vaultRequestWildcard } from "../lib/subjects";
import { kmsTrustRoots, loadMeasuredConfig, type MeasuredConfig } from "../vault-enclave/config";
import { SealingKms, type VerifiedPeer } from "../vault-enclave/kms";
import { recordingTransport } from "./recording-transport";

/** Options of {@link startEnclaveEcho}. */
export interface EnclaveEchoOptions {
  /** The proxy's Unix socket (the vsock bridge's stand-in). */
  socket: string;
  /** Attests this enclave (the simulated NSM). */
  nsm: Pick<Nsm, "attest">;
  /** The measured configuration file (the local image's `runtime-config.json`): KMS name, key, roots. */
  measuredConfigFile: string;
  /** Record every byte that crosses the enclave socket, for {@link EnclaveEcho.crossedTheLink}. */
  tap?: boolean;
  /** How long to wait for the proxy's `ready` (default 10 s). */
  readyTimeoutMs?: number;
}

/** What `state.put` answers (JSON in the sealed reply). */
export interface StatePutAnswer {
  key: string;
  version: string;
  keyId: string;
  bytes: number;
}

/** Name of the blob `state.put` writes, per vault. */
export const STATE_BLOB_NAME = "state";
/** Each `state.put` seals with AES-256-GCM under a fresh KMS data key: 12-byte nonce, 16-byte tag. */
const GCM_NONCE_BYTES = 12;

/** The running dev stand-in for the vault runtime. */
export class EnclaveEcho {
  /** Data keys this enclave opened (dev checks only: a real enclave never exposes them). */
  readonly openedDataKeys: Uint8Array[] = [];
  /** Every KMS TLS connection whose certificate and name were verified on this side. */
  readonly verifiedKmsPeers: VerifiedPeer[] = [];
  private readonly kms: SealingKms;
  /** Sessions by the device's request subject. */
  private readonly sessions = new Map<string, { channel: SealedChannel; vaultId: string }>();
  private readonly subscribed = new Set<string>();

  constructor(
    readonly client: ProxyClient,
    readonly config: MeasuredConfig,
    options: EnclaveEchoOptions,
    private readonly seen: Buffer[] | undefined,
  ) {
    this.kms = new SealingKms({
      region: config.kms.region,
      endpointName: config.kms.endpointName,
      keyArn: config.kms.keyArn,
      trustRoots: kmsTrustRoots(config),
      openTunnel: () => client.tunnel.open("kms"),
      credentials: () => client.awsCredentials(),
      nsm: options.nsm,
      onVerified: (peer) => this.verifiedKmsPeers.push(peer),
    });
  }

  /**
   * Stand-in for the attested handshake: creates this enclave's X25519 key for the
   * session `context` with `devicePublicKey`, subscribes to the vault's request
   * subjects through the proxy, and returns the enclave's public key.
   */
  async acceptSession(context: EnvelopeContext, devicePublicKey: Uint8Array): Promise<Uint8Array> {
    const s = await sodiumReady();
    const kx = s.crypto_kx_keypair();
    this.sessions.set(vaultRequestSubject(context.vaultId, context.deviceId), {
      vaultId: context.vaultId,
      channel: new SealedChannel({
        role: "enclave",
        context,
        keys: deriveSessionKeys("enclave", kx, devicePublicKey, context.sessionId),
      }),
    });
    if (!this.subscribed.has(context.vaultId)) {
      await this.client.nats.subscribe(vaultRequestWildcard(context.vaultId), (msg) => this.onRequest(msg));
      this.subscribed.add(context.vaultId);
    }
    return kx.publicKey;
  }

  /** Whether `bytes` ever crossed the enclave socket in either direction (needs `tap`). */
  crossedTheLink(bytes: Uint8Array): boolean {
    if (!this.seen) throw new Error("the enclave socket is not tapped");
    return Buffer.concat(this.seen).includes(Buffer.from(bytes));
  }

  async close(): Promise<void> {
    this.kms.destroy();
    await this.client.close(1_000);
  }

  private onRequest(msg: ProxyNatsMessage): void {
    const session = this.sessions.get(msg.subject);
    const fail = (err: unknown) =>
      this.client.nats.respond(msg.reply, new TextEncoder().encode(isVettidError(err) ? err.code : "INTERNAL"));
    if (!session) {
      fail(undefined);
      return;
    }
    const { channel, vaultId } = session;
    let opened: ReturnType<SealedChannel["open"]>;
    try {
      opened = channel.open(msg.data);
    } catch (err) {
      fail(err);
      return;
    }
    if (opened.op === "state.put") {
      this.putState(vaultId, opened.plaintext).then(
        (answer) =>
          this.client.nats.respond(
            msg.reply,
            channel.sealAnswer(opened, opened.op, new TextEncoder().encode(JSON.stringify(answer))),
          ),
        fail,
      );
      return;
    }
    this.client.nats.respond(msg.reply, channel.sealAnswer(opened, opened.op, opened.plaintext));
  }

  /** Seals `plaintext` under a new data key and writes it (conditionally) as the vault's state blob. */
  private async putState(vaultId: string, plaintext: Uint8Array): Promise<StatePutAnswer> {
    const dataKey = await this.kms.generateDataKey({ vault: vaultId });
    this.openedDataKeys.push(dataKey.plaintext);
    const nonce = randomBytes(GCM_NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", dataKey.plaintext, nonce);
    const wrappedKeyLength = Buffer.alloc(4);
    wrappedKeyLength.writeUInt32BE(dataKey.ciphertextBlob.length);
    const sealed = Buffer.concat([
      wrappedKeyLength,
      dataKey.ciphertextBlob,
      nonce,
      cipher.update(plaintext),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    const key = blobKey(vaultId, STATE_BLOB_NAME);
    const current = await this.client.blob.get(key);
    const version = await this.client.blob.put(key, sealed, current?.version ?? null);
    return { key, version, keyId: this.config.kms.keyArn, bytes: sealed.length };
  }
}

/**
 * Starts the dev stand-in for the vault runtime and waits until the proxy has
 * verified its attestation.
 */
export async function startEnclaveEcho(options: EnclaveEchoOptions): Promise<EnclaveEcho> {
  const config = loadMeasuredConfig(options.measuredConfigFile);
  const seen: Buffer[] | undefined = options.tap ? [] : undefined;
  const base = unixSocketTransport(options.socket);
  const client = new ProxyClient({
    transport: seen ? recordingTransport(base, seen) : base,
    attest: (request) => options.nsm.attest(request),
    reconnect: { initialDelayMs: 50, maxDelayMs: 1_000 },
    readyTimeoutMs: options.readyTimeoutMs ?? 10_000,
  });
  client.start();
  try {
    await client.ready(options.readyTimeoutMs ?? 10_000);
  } catch (err) {
    await client.close(0);
    throw err;
  }
  return new EnclaveEcho(client, config, options, seen);
}
