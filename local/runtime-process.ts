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
 * enclave's own TLS connection through the proxy is not built yet, decision 0070), the
 * buckets and the stream made first as lib/jetstream-layout lists them (one replica).
 * Prints one JSON line per event on stdout: `{"event":"worker", pid, restarts}` as each
 * worker starts, `{"event":"ready", …, runtimeId}` once it serves,
 * `{"event":"kms-verified", servername, issuer, protocol}` per verified KMS connection.
 *
 * As in the enclave image (vault-enclave/main.ts), the process is the in-enclave
 * supervisor (vault-enclave/supervisor): it runs the runtime as a worker process (this
 * same program with VETTID_RUNTIME_WORKER=1) and restarts it after a crash with
 * back-off. A worker whose supervisor is gone (SIGKILLed: an enclave that died) stops
 * within a fifth of a second instead of serving on as an orphan.
 */
import { readFileSync } from "node:fs";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { applyJetStreamLayout } from "../client/operator/jetstream";
import { assertDevOnly } from "../lib/config";
import { unixSocketTransport } from "../lib/frame-link";
import { enclaveInboxPrefix } from "../lib/nats-auth";
import { loadMeasuredConfig } from "../vault-enclave/config";
import { KvLeaseTable, newRuntimeId, openLeaseBucket } from "../vault-enclave/lease";
import { startRuntime } from "../vault-enclave/runtime/start";
import { RESTARTS_ENV, Supervisor, spawnWorker, WORKER_ENV } from "../vault-enclave/supervisor";
import { JetStreamChangeLog } from "../vault-enclave/sync";
import { KvWitness, openWitnessBucket } from "../vault-enclave/witness";
import { required, runMain, stopOnSignals } from "./child-main";
import { watchParent } from "./launcher/parent-watch";
import { LOCAL_RUNTIME_NATS_NAME } from "./launcher/runtime";
import { createSimulatedNsm, loadOrCreateDevCa } from "./nsm-sim";

async function main(): Promise<void> {
  const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
  emit({ event: "worker", pid: process.pid, restarts: Number(process.env[RESTARTS_ENV] ?? 0) });
  watchParent(() => process.exit(1), { intervalMs: 200 });
  const environment = process.env.VETTID_ENV;
  assertDevOnly("the local vault runtime process", environment);
  const measured = loadMeasuredConfig(required("VETTID_RUNTIME_CONFIG"));
  if (measured.environment !== environment)
    throw new Error(`the measured configuration is for ${measured.environment}`);
  const ca = await loadOrCreateDevCa(required("VETTID_DEV_CA_DIR"));
  const nsm = await createSimulatedNsm({ environment: measured.environment, ca });
  const witnessServer = process.env.VETTID_LOCAL_WITNESS_NATS;
  let witnessConnection: NatsConnection | undefined;
  let witness: KvWitness | undefined;
  let changes: JetStreamChangeLog | undefined;
  let leases: KvLeaseTable | undefined;
  // drawn by the supervisor (or the launcher, for the host), the same for every worker
  const runtimeId = required("VETTID_RUNTIME_ID");
  if (witnessServer) {
    witnessConnection = await connect({
      servers: witnessServer,
      authenticator: credsAuthenticator(readFileSync(required("VETTID_LOCAL_WITNESS_CREDS"))),
      name: LOCAL_RUNTIME_NATS_NAME,
      inboxPrefix: enclaveInboxPrefix(LOCAL_RUNTIME_NATS_NAME),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    // What an operator's `vettid admin jetstream` does for a deployment, on one server;
    // then the runtime opens them as it does in an enclave.
    const differing = (await applyJetStreamLayout(witnessConnection, { replicas: 1 })).filter(
      (asset) => asset.state !== "created" && asset.state !== "ok",
    );
    if (differing.length > 0) {
      const what = differing.map((a) => `${a.kind} ${a.name}: ${a.differences.join("; ")}`);
      throw new Error(`JetStream assets differ from the layout: ${what.join(" | ")}`);
    }
    witness = new KvWitness({ bucket: await openWitnessBucket(witnessConnection) });
    changes = await JetStreamChangeLog.open(witnessConnection);
    leases = new KvLeaseTable({
      bucket: await openLeaseBucket(witnessConnection),
      self: runtimeId,
      now: Date.now,
    });
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

/** The supervisor: one worker at a time, restarted after a crash, stopped on SIGINT/SIGTERM. */
async function supervise(): Promise<void> {
  assertDevOnly("the local vault runtime process", process.env.VETTID_ENV);
  const script = process.argv[1] as string;
  // One lease identity for every worker: a restarted worker renews the leases its
  // predecessor held (it is dead: the supervisor starts one only after the last exited)
  // instead of waiting for them to lapse.
  const env = { ...process.env, VETTID_RUNTIME_ID: process.env.VETTID_RUNTIME_ID ?? newRuntimeId() };
  const supervisor = new Supervisor({
    start: (restarts) => spawnWorker(process.execPath, [...process.execArgv, script], env, restarts),
    log: (line) => process.stderr.write(`supervisor: ${line}\n`),
  });
  const stop = () => supervisor.stop();
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  const exit = await supervisor.run();
  process.exit(exit.code ?? 1);
}

runMain(process.env[WORKER_ENV] === "1" ? main : supervise);
