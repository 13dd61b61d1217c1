import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assertDevOnly } from "../../lib/config";
import { LEASE_RENEW_MS, LEASE_TTL_MS } from "../../vault-enclave/lease/decide";
import { LOCAL_AWS_REGION } from "../aws/dynamodb";
import { natsServerVersion } from "../nats";
import type { SimulatedNsm } from "../nsm-sim";
import { type DevAttestation, prepareDevAttestation } from "./attestation";
import { type AwsStandIns, startAwsStandIns } from "./aws-stand-ins";
import { type LocalEdge, startLocalEdge } from "./edge";
import { prepareEntries } from "./entry";
import type { LocalKms } from "./kms";
import { writeMeasuredConfig } from "./measured-config";
import { type OperatorNats, startOperatorNats } from "./nats";
import type { Progress } from "./progress";
import { LOCAL_HOST_ID, type LocalProxy, startLocalProxy } from "./proxy";
import { type LocalRuntime, startLocalRuntime, writeRuntimeWitnessCreds } from "./runtime";
import { type LocalSealedState, startSealedState } from "./sealed-state";
import { acquireStateLock } from "./state-lock";
import { type SupervisedChild, superviseChildren } from "./supervisor";

/** The second vault host's id in the registry (`--runtimes 2`). */
export const SECOND_HOST_ID = "local-host-2";

/** DEV ONLY: the local runtime's recovery delay (the measured configuration's; 24 h in production). */
export const LOCAL_RECOVERY_DELAY_SECONDS = 3;

/**
 * How long a supervised restart waits for the topology to serve again before it is
 * reported: the runtime reconnects to a restarted proxy within its 5 s back-off cap
 * and attests, the proxy to a restarted nats-server within its 250 ms reconnect
 * wait; 30 s covers a busy machine.
 */
const SETTLE_TIMEOUT_MS = 30_000;

/** What `npm start -- --serve` publishes in `.vettid/local/endpoints.json`. */
export interface Endpoints {
  /** Base URL of the REST edge (local API Gateway v2 adapter). */
  rest: string;
  /** NATS client URL (operator/JWT mode). */
  nats: string;
  /** Dev-only operator token for the admin routes (`Authorization: Bearer …`). */
  adminToken: string;
  stateDir: string;
  /** AWS stand-ins (pass as `endpoint` to the SDK clients). */
  dynamodb: string;
  secretsManager: string;
  /** KMS stand-in over HTTPS (its certificate is for `kmsEndpointName`, from the dev TLS CA `kmsTlsCa`). */
  kms: string;
  kmsEndpointName: string;
  kmsTlsCa: string;
  /** The local enclave's measured configuration (what a production image carries). */
  enclaveConfig: string;
  /** The vault sealing key (its policy requires the simulated enclave's PCR0) and its alias. */
  kmsSealingKey: string;
  kmsSealingKeyAlias: string;
  /** S3 stand-in (path-style) and the bucket of sealed vault state. */
  s3: string;
  sealedStateBucket: string;
  /** The vsock proxy's enclave-side Unix socket and its loopback health endpoint. */
  proxySocket: string;
  proxyHealth: string;
  /** The proxy's JSON log. */
  proxyLog: string;
  /** Dev root certificate of the simulated NSM (PEM; `--root`). */
  devRoot: string;
  /** Public manifest signing key (JWK; `--manifest-key`). */
  manifestKey: string;
  /** The signed PCR manifest approving the simulated enclave (served at GET /v1/pcr-manifest). */
  manifest: string;
  /** The operator's public key and the VettID account's public key. */
  natsOperator: string;
  natsAccount: string;
  /** Creds of the system user that pushes claim updates (dev keys). */
  natsSystemCreds: string;
  /** The launcher's pid and its children's, so a caller can check they all stop (rewritten after a supervised restart). */
  pids: {
    launcher: number;
    nats?: number;
    dynamodb?: number;
    secretsManager?: number;
    s3?: number;
    kms?: number;
    proxy?: number;
    runtime?: number;
    /** The second host's (`--runtimes 2`). */
    proxy2?: number;
    runtime2?: number;
  };
  [extra: string]: unknown;
}

/** The running local topology. */
export interface Topology {
  endpoints: Endpoints;
  nats: OperatorNats;
  edge: LocalEdge;
  attestation: DevAttestation;
  /** The simulated NSM of the local enclave (its PCRs are the manifest's). */
  nsm: SimulatedNsm;
  sealedState: LocalSealedState;
  /** The AWS stand-ins' child processes. */
  aws: AwsStandIns;
  kms: LocalKms;
  proxy: LocalProxy;
  /** The vault runtime (its own process, simulated NSM), attested and connected through the proxy. */
  runtime: LocalRuntime;
  /** Every vault host, the first being {@link proxy} and {@link runtime} (two with `runtimes: 2`). */
  hosts: { hostId: string; proxy: LocalProxy; runtime: LocalRuntime }[];
  /** Stops every child process and server, in reverse start order. */
  stop(): Promise<void>;
}

/**
 * Awaits starts that run at once; registers the `stop` of each that started (so a
 * failure of one still stops the others), then throws the first failure.
 */
async function allStarted<T extends readonly unknown[]>(
  starts: { [K in keyof T]: Promise<T[K]> },
  stops: (() => Promise<void>)[],
): Promise<T> {
  const settled = await Promise.allSettled(starts);
  for (const result of settled) {
    const value = result.status === "fulfilled" ? (result.value as { stop?: () => Promise<void> }) : undefined;
    if (typeof value?.stop === "function") stops.push(() => (value.stop as () => Promise<void>)());
  }
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** Options of {@link startTopology}. */
export interface TopologyOptions {
  /**
   * Supervise the child processes (`npm start -- --serve`): one that exits unasked is
   * reported and restarted with its state (./supervisor.ts), and `endpoints.json`
   * then lists its new pid. Off by default: tests that kill a child themselves
   * restart it themselves.
   */
  supervise?: boolean;
  /** Called when the supervisor gives up on a child (it kept crashing). */
  onGiveUp?(child: string, reason: string): void;
  /**
   * Vault hosts (a proxy and a runtime each; default 1). With 2, a second host serves
   * the same vaults and the vault leases decide which runtime answers each (decision
   * 0071): stop one and the other takes its vaults over once their leases lapse.
   */
  runtimes?: 1 | 2;
}

/**
 * Starts the parts of the local topology that exist, with all state under
 * `stateDir`, and writes `endpoints.json` there when ready. Refuses to run unless
 * VETTID_ENV is unset, `local` or `dev`, and while another live launcher holds
 * `stateDir` (its lock file, ./state-lock.ts; released by `stop()`).
 */
export async function startTopology(
  stateDir: string,
  progress: Progress,
  options: TopologyOptions = {},
): Promise<Topology> {
  assertDevOnly("the local launcher", process.env.VETTID_ENV ?? "local");
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  // dev keys, creds and the proxy socket live here: private also when the directory already existed
  chmodSync(stateDir, 0o700);
  // before anything in the directory is touched: a live launcher's endpoints, socket and creds stay
  const lock = acquireStateLock(stateDir);
  progress.info("starting the local topology (emulators and dev keys: never for production)");
  progress.info(
    "present now: nats-server (operator mode), REST edge, dynalite, Secrets Manager + KMS + S3 stand-ins (their own processes), simulated NSM, vsock proxy, the vault runtime (its own process)",
  );
  const endpointsPath = join(stateDir, "endpoints.json");
  rmSync(endpointsPath, { force: true });
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    rmSync(endpointsPath, { force: true });
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
    lock.release();
  };
  try {
    prepareEntries(["local/stand-in-process.ts", "vsock-proxy/main.ts", "local/runtime-process.ts"]);
    const natsDir = join(stateDir, "nats");
    // independent of each other: nats-server, the dev attestation and the stand-ins start at once
    const natsStarting = progress.step("nats-server in operator/JWT mode with JetStream and the full resolver", () =>
      startOperatorNats(natsDir),
    );
    const attestationStarting = progress.step(
      "dev attestation root, two dev release keys (2 of 2), simulated NSM and the signed manifest log approving its PCRs",
      () => prepareDevAttestation(join(stateDir, "attestation")),
    );
    const awsStarting = progress.step(
      "dynalite, Secrets Manager, S3 and KMS stand-ins (child processes, state under aws/; KMS over HTTPS with a dev TLS CA made for this run)",
      () =>
        startAwsStandIns(
          stateDir,
          attestationStarting.then((a) => a.files.devRoot),
        ),
    );
    const [nats, attestation, aws] = await allStarted<[OperatorNats, DevAttestation, AwsStandIns]>(
      [natsStarting, attestationStarting, awsStarting],
      stops,
    );
    const kms = aws.kms;
    // Plaintext on loopback, dev only: in AWS every NATS link is TLS (docs/decisions/0064),
    // and the edge and proxy refuse nats:// outside local and dev.
    progress.info(
      `nats-server ${nats.server.binary} ${natsServerVersion(nats.server.binary)} on ${nats.server.url} (plaintext loopback, dev only); dev operator and account keys in ${join(natsDir, "keys.json")}`,
    );
    const nsm = attestation.nsm;
    progress.info(
      `dev root ${attestation.files.devRoot}; manifest ${attestation.files.manifest} (key ${attestation.files.manifestKey})`,
    );
    progress.info(
      `dynalite ${aws.dynamodb.endpoint}, secrets ${aws.secretsManager.endpoint}, S3 ${aws.s3.endpoint}, KMS ${kms.endpoint} (certificate for ${kms.endpointName}, dev TLS CA ${kms.caFile}); state in ${join(stateDir, "aws")}`,
    );

    const adminToken = randomBytes(24).toString("base64url");
    const pcr0 = Buffer.from(nsm.pcrs[0] ?? new Uint8Array()).toString("hex");
    const [edge, sealedState] = await allStarted<[LocalEdge, LocalSealedState]>(
      [
        progress.step("REST edge on the API Gateway v2 adapter (edge table and signing secrets created)", () =>
          startLocalEdge({
            natsUrls: [nats.server.url],
            keys: nats.keys,
            auth: nats.auth,
            adminToken,
            manifestSource: attestation.files.manifest,
            standIns: { dynamodb: aws.dynamodb.endpoint, secretsManager: aws.secretsManager.endpoint },
          }),
        ),
        progress.step("KMS sealing key (policy: Recipient PCR0 = the simulated enclave's), sealed-state bucket", () =>
          startSealedState(kms.client(), pcr0, aws.s3),
        ),
      ],
      stops,
    );
    progress.info(`REST edge on ${edge.rest.url}`);
    progress.info(`sealing key ${sealedState.keyAlias}; S3 ${sealedState.s3.endpoint} bucket ${sealedState.bucket}`);

    // every vault host's proxy: the same NATS, S3 bucket, KMS key, manifest and registry
    const hostProxy = (dir: string, host?: { hostId: string; name: string }) =>
      startLocalProxy({
        dir,
        ...(host ?? {}),
        natsUrl: nats.server.url,
        keys: nats.keys,
        kmsTunnelTarget: kms.tunnelTarget,
        s3Endpoint: sealedState.s3.endpoint,
        bucket: sealedState.bucket,
        manifestFile: attestation.files.manifest,
        manifestKeyFile: attestation.files.manifestKey,
        devRootFile: attestation.files.devRoot,
        registry: { dynamodbEndpoint: aws.dynamodb.endpoint, tableName: edge.tableName },
      });
    const proxy = await progress.step(
      "vsock proxy (child process, host NATS user, dev root, the signed manifest) on a Unix socket",
      () => hostProxy(stateDir),
    );
    stops.push(() => proxy.stop());
    progress.info(`vsock proxy pid ${proxy.pid} on ${proxy.socket}; health ${proxy.health}; log ${proxy.log}`);

    const enclaveConfig = writeMeasuredConfig(join(stateDir, "enclave"), {
      environment: "local",
      kms: { region: LOCAL_AWS_REGION, endpointName: kms.endpointName, keyArn: sealedState.keyArn },
      trustRoots: { devCaPem: kms.caPem },
      // DEV ONLY: a recovery waits 3 s here so the journey shows it; at least 24 h outside local / dev.
      recoveryDelaySeconds: LOCAL_RECOVERY_DELAY_SECONDS,
      manifestKey: attestation.releaseKeys.set.keys[0]!.jwk,
    });
    const witnessCreds = await writeRuntimeWitnessCreds(stateDir, nats.keys);
    // every vault host's runtime: the same measured configuration, dev CA and dev NATS user
    const hostRuntime = (dir: string, socket: string, name?: string) =>
      startLocalRuntime({
        dir,
        socket,
        ...(name ? { name } : {}),
        measuredConfigFile: enclaveConfig,
        devCaDir: join(stateDir, "attestation"),
        witness: { natsUrl: nats.server.url, creds: witnessCreds },
      });
    const runtime = await progress.step(
      "vault runtime (its own process, simulated NSM, measured configuration) attests through the proxy",
      () => hostRuntime(stateDir, proxy.socket),
    );
    stops.push(() => runtime.stop());
    progress.info(`vault runtime pid ${runtime.pid}; log ${runtime.log}`);
    progress.info(
      "version witness, leases and change log: the runtime records each vault's state version and PIN counters in JetStream KV vettid-witness, holds a lease per vault it serves in vettid-leases, and seals each item change into the stream vettid-sync, before it answers (its own dev NATS user over loopback; in an enclave, its own TLS connection through the proxy's tunnel, decision 0072)",
    );
    const hosts: Topology["hosts"] = [{ hostId: LOCAL_HOST_ID, proxy, runtime }];
    if ((options.runtimes ?? 1) === 2) {
      const dir = join(stateDir, "host-2");
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const proxy2 = await progress.step("second vault host: its vsock proxy (same NATS, S3 bucket and KMS key)", () =>
        hostProxy(dir, { hostId: SECOND_HOST_ID, name: "vsock proxy 2" }),
      );
      stops.push(() => proxy2.stop());
      const runtime2 = await progress.step("second vault host: its vault runtime attests through its proxy", () =>
        hostRuntime(dir, proxy2.socket, "vault runtime 2"),
      );
      stops.push(() => runtime2.stop());
      hosts.push({ hostId: SECOND_HOST_ID, proxy: proxy2, runtime: runtime2 });
      progress.info(
        `second host: vsock proxy pid ${proxy2.pid} on ${proxy2.socket}; vault runtime pid ${runtime2.pid}; both runtimes serve every vault, each answering only for the vaults whose lease it holds (${LEASE_TTL_MS / 1000} s, renewed every ${LEASE_RENEW_MS / 1000} s)`,
      );
    }

    const pidOf = (key: keyof Endpoints["pids"], pid: number | undefined) => (pid ? { [key]: pid } : {});
    const currentPids = (): Endpoints["pids"] => ({
      launcher: process.pid,
      ...pidOf("nats", nats.server.pid),
      ...pidOf("dynamodb", aws.dynamodb.pid),
      ...pidOf("secretsManager", aws.secretsManager.pid),
      ...pidOf("s3", aws.s3.pid),
      ...pidOf("kms", kms.standIn.pid),
      ...pidOf("proxy", proxy.pid),
      ...pidOf("runtime", runtime.pid),
      ...pidOf("proxy2", hosts[1]?.proxy.pid),
      ...pidOf("runtime2", hosts[1]?.runtime.pid),
    });
    const endpoints: Endpoints = {
      rest: edge.rest.url,
      nats: nats.server.url,
      adminToken,
      stateDir,
      dynamodb: aws.dynamodb.endpoint,
      secretsManager: aws.secretsManager.endpoint,
      kms: kms.endpoint,
      kmsEndpointName: kms.endpointName,
      kmsTlsCa: kms.caFile,
      enclaveConfig,
      kmsSealingKey: sealedState.keyArn,
      kmsSealingKeyAlias: sealedState.keyAlias,
      s3: sealedState.s3.endpoint,
      sealedStateBucket: sealedState.bucket,
      proxySocket: proxy.socket,
      proxyHealth: proxy.health,
      proxyLog: proxy.log,
      devRoot: attestation.files.devRoot,
      manifestKey: attestation.files.manifestKey,
      manifest: attestation.files.manifest,
      natsOperator: nats.keys.operatorPublicKey,
      natsAccount: nats.keys.accountPublicKey,
      natsSystemCreds: join(natsDir, "system-user.creds"),
      pids: currentPids(),
    };
    const publish = () => {
      // a reader never sees half a file: written beside it, then renamed over it
      writeFileSync(`${endpointsPath}.tmp`, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
      renameSync(`${endpointsPath}.tmp`, endpointsPath);
    };
    publish();
    if (options.supervise) {
      const natsChild: SupervisedChild = {
        name: "nats-server",
        get pid() {
          return nats.server.pid;
        },
        exited: () => nats.server.exited(),
        restart: () => nats.server.restart(),
      };
      const hostChildren = hosts.flatMap((h) => [h.proxy, h.runtime]);
      const supervision = superviseChildren([natsChild, ...aws.children, ...hostChildren], {
        report: (line) => progress.info(line),
        settle: () => proxy.serving(SETTLE_TIMEOUT_MS),
        onRestarted: () => {
          endpoints.pids = currentPids();
          publish();
        },
        onGiveUp: (child, reason) => options.onGiveUp?.(child.name, reason),
      });
      // stops run in reverse: supervision ends (and a restart under way settles) before any child is stopped
      stops.push(() => supervision.stop());
    }
    return { endpoints, nats, edge, attestation, nsm, sealedState, aws, kms, proxy, runtime, hosts, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
