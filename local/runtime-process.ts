/**
 * DEV ONLY — runs the vault runtime (vault-enclave/runtime) as its own process, as the
 * enclave image does, but with the simulated NSM (local/nsm-sim, the launcher's dev
 * CA) and the proxy's Unix socket instead of /dev/nsm and vsock. Everything else is
 * the production code path: the measured configuration from a file, KMS over TLS
 * through the proxy's tunnel, sealed state through the blob channel.
 *
 * Environment: VETTID_ENV (local|dev), VETTID_RUNTIME_CONFIG (the measured
 * configuration), VETTID_PROXY_SOCKET, VETTID_DEV_CA_DIR (the dev attestation CA);
 * with VETTID_LOCAL_WITNESS_NATS and VETTID_LOCAL_WITNESS_CREDS, the version witness
 * and the vault leases in JetStream KV and the change log (stream vettid-sync) over a dev
 * connection of the runtime's own (loopback, plaintext; the
 * enclave's own TLS connection through the proxy is not built yet, decision 0070).
 * Prints one JSON line per event on stdout: `{"event":"ready"}` once serving,
 * `{"event":"kms-verified", servername, issuer, protocol}` per verified KMS connection.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Kvm } from "@nats-io/kv";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { assertDevOnly } from "../lib/config";
import { unixSocketTransport } from "../lib/frame-link";
import { enclaveInboxPrefix } from "../lib/nats-auth";
import { loadMeasuredConfig } from "../vault-enclave/config";
import { KvLeaseTable, LEASE_BUCKET } from "../vault-enclave/lease";
import { startRuntime } from "../vault-enclave/runtime/start";
import { JetStreamChangeLog } from "../vault-enclave/sync";
import { KvWitness, WITNESS_BUCKET } from "../vault-enclave/witness";
import { required, runMain, stopOnSignals } from "./child-main";
import { LOCAL_RUNTIME_NATS_NAME } from "./launcher/runtime";
import { createSimulatedNsm, loadOrCreateDevCa } from "./nsm-sim";

async function main(): Promise<void> {
  const environment = process.env.VETTID_ENV;
  assertDevOnly("the local vault runtime process", environment);
  const measured = loadMeasuredConfig(required("VETTID_RUNTIME_CONFIG"));
  if (measured.environment !== environment)
    throw new Error(`the measured configuration is for ${measured.environment}`);
  const ca = await loadOrCreateDevCa(required("VETTID_DEV_CA_DIR"));
  const nsm = await createSimulatedNsm({ environment: measured.environment, ca });
  const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
  const witnessServer = process.env.VETTID_LOCAL_WITNESS_NATS;
  let witnessConnection: NatsConnection | undefined;
  let witness: KvWitness | undefined;
  let changes: JetStreamChangeLog | undefined;
  let leases: KvLeaseTable | undefined;
  const runtimeId = process.env.VETTID_RUNTIME_ID ?? Buffer.from(randomBytes(16)).toString("hex");
  if (witnessServer) {
    witnessConnection = await connect({
      servers: witnessServer,
      authenticator: credsAuthenticator(readFileSync(required("VETTID_LOCAL_WITNESS_CREDS"))),
      name: LOCAL_RUNTIME_NATS_NAME,
      inboxPrefix: enclaveInboxPrefix(LOCAL_RUNTIME_NATS_NAME),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    const bucket = await new Kvm(witnessConnection).create(WITNESS_BUCKET, { history: 1 });
    witness = new KvWitness({ bucket });
    changes = await JetStreamChangeLog.open(witnessConnection, { create: { replicas: 1 } });
    const leaseBucket = await new Kvm(witnessConnection).create(LEASE_BUCKET, { history: 1 });
    leases = new KvLeaseTable({ bucket: leaseBucket, self: runtimeId, now: Date.now });
  }
  const running = await startRuntime({
    measured,
    nsm,
    ...(witness ? { witness } : {}),
    ...(changes ? { changes } : {}),
    ...(leases ? { leases } : {}),
    runtimeId,
    transport: unixSocketTransport(required("VETTID_PROXY_SOCKET")),
    onKmsVerified: (peer) =>
      emit({ event: "kms-verified", servername: peer.servername, issuer: peer.issuer, protocol: peer.protocol }),
  });
  emit({
    event: "ready",
    served: running.proxy.served ?? [],
    witness: witness !== undefined,
    leases: leases !== undefined,
    runtimeId,
  });
  stopOnSignals(async () => {
    await running.close();
    await witnessConnection?.close();
  });
}

runMain(main);
