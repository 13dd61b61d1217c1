/**
 * One side of the proxy-echo benchmark, run as its own process (BENCH_ROLE):
 * - `proxy`: the vsock proxy with a real NATS upstream, verifying the enclave with
 *   lib/attestation against the dev root and a manifest of the simulated PCRs;
 * - `enclave`: the enclave-side ProxyClient attesting with the simulated NSM and
 *   echoing every vault request;
 * - `bare`: the baseline, a plain NATS echo responder.
 * Prints `ready` on stdout once serving. Dev only.
 */
import { connect } from "@nats-io/transport-node";
import { VettidError } from "../lib/errors";
import { unixSocketTransport } from "../lib/frame-link";
import type { Manifest } from "../lib/manifest";
import { ProxyClient } from "../lib/proxy-client";
import { vaultRequestWildcard } from "../lib/subjects";
import { createSimulatedNsm, devManifest, loadOrCreateDevCa } from "../local/nsm-sim";
import { staticServedVaults } from "../vsock-proxy/policy";
import { VsockProxy } from "../vsock-proxy/proxy";
import { natsUpstream } from "../vsock-proxy/upstreams/nats";
import { attestationVerifier } from "../vsock-proxy/verifier";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const unused = async (): Promise<never> => {
  throw new VettidError("UNAVAILABLE", "not part of this benchmark");
};
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function proxy(): Promise<void> {
  const ca = await loadOrCreateDevCa(env("BENCH_CA_DIR"));
  const nsm = await createSimulatedNsm({ environment: "local", ca });
  const manifest: Manifest = devManifest(nsm.pcrs, { id: "bench" });
  const nc = await connect({ servers: env("BENCH_NATS_URL") });
  const vsockProxy = new VsockProxy({
    transport: unixSocketTransport(env("BENCH_SOCKET")),
    verifier: attestationVerifier({ trustedRoots: [ca.rootCertificatePem], manifest: () => manifest }),
    nats: natsUpstream(nc),
    tunnels: {},
    credentials: unused,
    blob: { get: unused, put: unused, delete: unused },
    served: staticServedVaults([env("BENCH_VAULT")]),
    logger: quiet,
    metrics: { addMetric() {}, publishStoredMetrics() {} },
  });
  await vsockProxy.start();
  process.stdout.write("ready\n");
  process.once("SIGTERM", () => void vsockProxy.stop(500).then(() => process.exit(0)));
}

async function enclave(): Promise<void> {
  const ca = await loadOrCreateDevCa(env("BENCH_CA_DIR"));
  const nsm = await createSimulatedNsm({ environment: "local", ca });
  const client = new ProxyClient({
    transport: unixSocketTransport(env("BENCH_SOCKET")),
    attest: (request) => nsm.attest(request),
  });
  client.start();
  await client.ready(30_000);
  await client.nats.subscribe(vaultRequestWildcard(env("BENCH_VAULT")), (msg) =>
    client.nats.respond(msg.reply, msg.data),
  );
  process.stdout.write("ready\n");
  process.once("SIGTERM", () => void client.close(500).then(() => process.exit(0)));
}

async function bare(): Promise<void> {
  const nc = await connect({ servers: env("BENCH_NATS_URL") });
  nc.subscribe("bench.echo", {
    callback: (_err, msg) => {
      msg.respond(msg.data);
    },
  });
  await nc.flush();
  process.stdout.write("ready\n");
  process.once("SIGTERM", () => void nc.close().then(() => process.exit(0)));
}

const roles = { proxy, enclave, bare } as const;
(roles[(process.env.BENCH_ROLE ?? "proxy") as keyof typeof roles] ?? proxy)().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
