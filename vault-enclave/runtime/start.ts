import type { Nsm } from "../../lib/attestation";
import { ConfigError } from "../../lib/config";
import { sodiumReady } from "../../lib/crypto";
import type { Transport } from "../../lib/frame-link";
import { ProxyClient } from "../../lib/proxy-client";
import type { MeasuredConfig } from "../../lib/runtime-config";
import { kmsTrustRoots, recoveryDelayMs } from "../../lib/runtime-config";
import { SealingKms, type VerifiedPeer } from "../kms";
import type { LeaseTable } from "../lease/keeper";
import { newRuntimeId } from "../lease/record";
import type { Argon2idParams } from "../state";
import type { ChangeLog } from "../sync/change-log";
import type { VersionWitness } from "../witness/witness";
import { startHealthReports } from "./health-report";
import { allowListedFields } from "./log-fields";
import { connectOwnNats, type OwnNats } from "./own-nats";
import { VaultRuntime } from "./vault-runtime";

/** What {@link startRuntime} needs: the measured configuration and the environment. */
export interface StartRuntimeOptions {
  measured: MeasuredConfig;
  /** The NSM: `/dev/nsm` in an enclave, the simulated one in local / dev only. */
  nsm: Pick<Nsm, "attest">;
  /** The link to the proxy: vsock in an enclave, a Unix socket in development. */
  transport: Transport;
  /** Called for each KMS TLS connection verified inside the enclave. */
  onKmsVerified?: (peer: VerifiedPeer) => void;
  /** Argon2id cost of new PIN records; only tests pass anything but the default. */
  argon2Params?: Argon2idParams;
  /**
   * The version witness (decision 0070). Without one, a measured `nats` section makes
   * the runtime connect on its own (decision 0072) and keep the witness there; tests
   * and the local topology without TLS NATS pass one over a dev connection instead.
   */
  witness?: VersionWitness;
  /**
   * The change log (decision 0073), passed with `witness` over the same dev connection;
   * with the runtime's own connection it is opened there.
   */
  changes?: ChangeLog;
  /**
   * The vault leases (decision 0071) as this runtime (`runtimeId`), passed with `witness`
   * over the same dev connection; with the runtime's own connection they are opened
   * there. With leases, the runtime answers only for vaults whose lease it holds, so two
   * runtimes can serve the same vaults and one takes over when the other dies.
   */
  leases?: LeaseTable;
  /**
   * This runtime's id in the leases (32 hex digits; default: drawn now). The in-enclave
   * supervisor draws one and hands it to every worker, so a restarted worker renews the
   * leases of the one that crashed instead of waiting for them to lapse.
   */
  runtimeId?: string;
}

/** A running vault runtime and its proxy link. */
export interface RunningRuntime {
  runtime: VaultRuntime;
  proxy: ProxyClient;
  kms: SealingKms;
  /** The runtime's own NATS connection, when the measured configuration has one. */
  ownNats?: OwnNats;
  /** This runtime's id in the vault leases. */
  runtimeId: string;
  close(): Promise<void>;
}

/**
 * Starts the vault runtime: connects to the proxy (answering its attestation
 * challenge; reconnecting with back-off), builds the KMS client over TLS from the
 * measured configuration, and serves the vaults the host names in each `ready`.
 */
export async function startRuntime(options: StartRuntimeOptions): Promise<RunningRuntime> {
  const env = options.measured.environment;
  if ((options.witness || options.changes || options.leases) && env !== "local" && env !== "dev") {
    // outside local / dev they live on the runtime's own connection, which nothing may replace
    throw new ConfigError("a witness, change log or lease table may be passed in only in local or dev");
  }
  await sodiumReady();
  const runtimeId = options.runtimeId ?? newRuntimeId();
  const proxy = new ProxyClient({
    transport: options.transport,
    attest: (request) => options.nsm.attest(request),
  });
  const kms = new SealingKms({
    region: options.measured.kms.region,
    endpointName: options.measured.kms.endpointName,
    keyArn: options.measured.kms.keyArn,
    trustRoots: kmsTrustRoots(options.measured),
    openTunnel: () => proxy.tunnel.open("kms"),
    credentials: () => proxy.awsCredentials(),
    nsm: options.nsm,
    ...(options.onKmsVerified ? { onVerified: options.onKmsVerified } : {}),
  });
  const log = (
    level: "info" | "warn" | "error",
    message: string,
    fields?: Record<string, string | number | boolean>,
  ) => {
    proxy.log(level, message, allowListedFields(fields));
  };
  proxy.start();
  // The runtime's own witness needs the host's sealed key, handed over once attested.
  const settings = options.witness ? undefined : options.measured.nats;
  let ownNats: OwnNats | undefined;
  if (settings) {
    await proxy.ready(60_000);
    ownNats = await connectOwnNats({
      settings,
      openTunnel: () => proxy.tunnel.open("nats"),
      sealedKey: {
        ciphertext: () => proxy.natsKeyCiphertext(),
        decrypt: (ciphertext, context, bytes) => kms.decrypt(ciphertext, context, bytes),
      },
      log,
      runtimeId,
    });
  }
  const witness = options.witness ?? ownNats?.witness;
  const changes = options.changes ?? ownNats?.changes;
  const leases = options.leases ?? ownNats?.leases;
  const runtime = new VaultRuntime({
    ports: {
      nsm: options.nsm,
      kms,
      blobs: proxy.blob,
      ...(witness ? { witness } : {}),
      ...(changes ? { changes } : {}),
      nats: proxy.nats,
      log,
      now: Date.now,
    },
    ...(options.argon2Params ? { argon2Params: options.argon2Params } : {}),
    ...(leases ? { leases: { table: leases, self: runtimeId } } : {}),
    recoveryDelayMs: recoveryDelayMs(options.measured),
  });
  // Loaded vaults, sessions and memory reach the host's metrics (as enclave.*) every minute.
  const stopHealth = startHealthReports({
    runtime,
    send: (point) => {
      proxy.metric(point.name, point.unit, point.value);
    },
  });
  // Serve what the host names once attested, and again after every reconnect.
  let stopped = false;
  const follow = async (): Promise<void> => {
    while (!stopped) {
      try {
        await proxy.ready(60_000);
      } catch {
        continue;
      }
      const served = proxy.served;
      if (served !== undefined) await runtime.serveAs(served).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  };
  await proxy.ready(60_000);
  await runtime.serveAs(proxy.served ?? []);
  void follow();
  return {
    runtime,
    proxy,
    kms,
    ...(ownNats ? { ownNats } : {}),
    runtimeId,
    async close() {
      stopped = true;
      stopHealth();
      await runtime.close();
      await ownNats?.close();
      kms.destroy();
      await proxy.close(1_000);
    },
  };
}
