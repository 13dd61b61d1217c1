import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import type { JWK } from "jose";
import { createEdgeClient, type DeviceKeys, generateDeviceKeys } from "../client/device";
import { sodiumReady } from "../lib/crypto";
import type { EnrollmentResponse } from "../lib/edge";
import { deriveSessionKeys, SealedChannel } from "../lib/envelope";
import { isVettidError } from "../lib/errors";
import { type Transport, unixSocketTransport } from "../lib/frame-link";
import { verifyManifest } from "../lib/manifest";
import { formatCreds } from "../lib/nats-auth";
import { ProxyClient } from "../lib/proxy-client";
import { vaultRequestSubject } from "../lib/subjects";
import type { StatePutAnswer } from "./enclave-echo";
import type { Progress } from "./launcher/progress";
import { LOCAL_HOST_ID } from "./launcher/proxy";
import type { Topology } from "./launcher/topology";
import { createSimulatedNsm } from "./nsm-sim";

async function connectDevice(servers: string[], jwt: string, keys: DeviceKeys, inboxPrefix: string) {
  return connect({
    servers,
    authenticator: credsAuthenticator(new TextEncoder().encode(formatCreds(jwt, keys.nats.seed))),
    inboxPrefix,
    name: "journey-device",
    reconnect: false,
  });
}

interface ProxyHealth {
  status: string;
  enclaves: { connected: number; attested: number };
  counters: { attestationFailures: number };
}

async function proxyHealth(url: string): Promise<ProxyHealth> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return (await response.json()) as ProxyHealth;
}

/**
 * A second simulated enclave under the same dev root but with another runtime digest
 * (so PCRs the manifest does not list) answers the proxy's attestation challenge;
 * the proxy must close its connection without ever confirming it.
 */
async function refusedUnlistedEnclave(topology: Topology): Promise<void> {
  const { endpoints } = topology;
  const nsm = await createSimulatedNsm({
    environment: "local",
    ca: topology.attestation.ca,
    runtimeDigest: createHash("sha384").update("an unlisted vault runtime").digest(),
  });
  const before = await proxyHealth(endpoints.proxyHealth);
  let challenged = 0;
  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const base = unixSocketTransport(endpoints.proxySocket);
  const transport: Transport = {
    address: base.address,
    listen: (onConnection) => base.listen(onConnection),
    async connect() {
      const stream = await base.connect();
      stream.once("close", () => markClosed());
      return stream;
    },
  };
  const unlisted = new ProxyClient({
    transport,
    attest: (request) => {
      challenged += 1;
      return nsm.attest(request);
    },
    // one attempt: no reconnect within the step, and the proxy (not a client timeout) must close it
    reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    readyTimeoutMs: 60_000,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    unlisted.start();
    await Promise.race([
      closed,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("the proxy kept the unlisted enclave connected")), 10_000);
      }),
    ]);
    if (challenged === 0) throw new Error("the proxy closed the connection before challenging the enclave");
    if (unlisted.currentState === "ready") throw new Error("the proxy confirmed the unlisted enclave");
    const after = await proxyHealth(endpoints.proxyHealth);
    if (after.counters.attestationFailures <= before.counters.attestationFailures)
      throw new Error("the proxy counted no attestation failure");
    if (after.status !== "ok") throw new Error(`the proxy is ${after.status} for the listed enclave`);
  } finally {
    clearTimeout(timer);
    await unlisted.close(0);
  }
}

/**
 * The device journey over what exists so far: an operator invites, a new device
 * generates its keys and enrolls over REST, connects to NATS with the minted
 * credentials and talks E2E-sealed, through the vsock proxy, to the attested enclave
 * stand-in (local/enclave-echo.ts) on its own vault subject (a replay is refused);
 * the enclave seals state with a KMS data key it alone can open — KMS reached over TLS
 * verified on the enclave side, through the proxy's byte tunnel — and writes it as a
 * blob (a stale write fails); the proxy refuses an enclave the manifest does not
 * list; the device is refused another vault's subject by the server, refreshes its
 * credentials with a signed request, and cannot reuse the invitation. The vault
 * runtime replaces the enclave stand-in when it lands.
 */
export async function runJourney(topology: Topology, progress: Progress): Promise<void> {
  const { endpoints } = topology;
  const operator = createEdgeClient({ baseUrl: endpoints.rest, adminToken: endpoints.adminToken });
  const invitation = await progress.step("operator creates an invitation (POST /v1/invitations)", () =>
    operator.createInvitation({ note: "npm start journey" }),
  );
  const keys = generateDeviceKeys();
  const device = createEdgeClient({ baseUrl: endpoints.rest });
  const enrollment: EnrollmentResponse = await progress.step(
    "device generates Ed25519, X25519 and NATS keys and enrolls (POST /v1/enrollments)",
    () => device.enroll(invitation.code, keys, "journey"),
  );
  progress.info(`device ${enrollment.deviceId} → vault ${enrollment.vaultId}; JWT until ${enrollment.nats.expiresAt}`);

  await progress.step(
    "enrollment assigned the vault to the live host (its proxy's heartbeat in the registry)",
    async () => {
      const vault = await topology.edge.context.store.getVault(enrollment.vaultId);
      if (vault?.hostId !== LOCAL_HOST_ID) {
        throw new Error(`vault ${enrollment.vaultId} was assigned to ${String(vault?.hostId)}, not ${LOCAL_HOST_ID}`);
      }
    },
  );

  await progress.step("a second device is refused the used invitation", async () => {
    try {
      await device.enroll(invitation.code, generateDeviceKeys());
    } catch (err) {
      if (isVettidError(err, "INVITATION_USED")) return;
      throw err;
    }
    throw new Error("the used invitation was accepted");
  });

  let nc: NatsConnection | undefined;
  const scratch = mkdtempSync(join(endpoints.stateDir, "journey-"));
  try {
    await progress.step("GET /v1/pcr-manifest serves the signed dev manifest the proxy verifies against", async () => {
      const response = await fetch(`${endpoints.rest}/v1/pcr-manifest`);
      const served = await response.text();
      if (response.status !== 200) throw new Error(`status ${response.status}`);
      if (served.trim() !== topology.attestation.manifestText.trim()) throw new Error("a different manifest is served");
      const key = JSON.parse(readFileSync(endpoints.manifestKey, "utf8")) as JWK;
      await verifyManifest(served, { publicKey: key });
    });

    await progress.step("the proxy refuses an enclave whose PCRs are not in the manifest (connection closed)", () =>
      refusedUnlistedEnclave(topology),
    );

    // Stand-in for the attested device↔enclave handshake (it arrives with the vault runtime).
    const s = await sodiumReady();
    const context = {
      vaultId: enrollment.vaultId,
      deviceId: enrollment.deviceId,
      sessionId: s.to_hex(s.randombytes_buf(16)),
    };
    const deviceKx = s.crypto_kx_keypair();
    const enclavePublicKey = await topology.enclave.acceptSession(context, deviceKx.publicKey);
    const sealer = new SealedChannel({
      role: "device",
      context,
      keys: deriveSessionKeys("device", deviceKx, enclavePublicKey, context.sessionId),
    });

    const connection = await progress.step("device connects to NATS with its minted user JWT", () =>
      connectDevice(enrollment.nats.servers, enrollment.nats.jwt, keys, enrollment.subjects.inboxPrefix),
    );
    nc = connection;
    const canary = `canary-${s.to_hex(s.randombytes_buf(8))}`;
    const request = sealer.seal("echo", s.from_string(canary));
    await progress.step("sealed echo via NATS → proxy → attested enclave stand-in and back", async () => {
      const reply = await connection.request(enrollment.subjects.request, request.envelope, { timeout: 5_000 });
      const opened = sealer.openAnswer(reply.data, request.pending);
      if (s.to_string(opened.plaintext) !== canary) throw new Error("echo mismatch");
      if (Buffer.from(request.envelope).includes(Buffer.from(canary))) throw new Error("plaintext visible on the wire");
    });
    await progress.step("replayed request is refused by the enclave", async () => {
      const reply = await connection.request(enrollment.subjects.request, request.envelope, { timeout: 5_000 });
      const answer = new TextDecoder().decode(reply.data);
      if (answer !== "ENVELOPE_REPLAYED") throw new Error(`expected ENVELOPE_REPLAYED, got ${answer.slice(0, 40)}`);
    });
    const state = s.from_string(`vault state ${canary}`);
    const stored = await progress.step(
      "enclave seals state with a KMS data key (GenerateDataKey + Recipient over TLS through the proxy's tunnel; CMS opened inside)",
      async () => {
        const put = sealer.seal("state.put", state);
        const reply = await connection.request(enrollment.subjects.request, put.envelope, { timeout: 10_000 });
        const answer = JSON.parse(s.to_string(sealer.openAnswer(reply.data, put.pending).plaintext)) as StatePutAnswer;
        const dataKey = topology.enclave.openedDataKeys.at(-1);
        if (dataKey?.length !== 32) throw new Error("the enclave opened no 32-byte data key");
        const kmsPeer = topology.enclave.verifiedKmsPeers.at(-1);
        if (kmsPeer?.servername !== topology.enclave.config.kms.endpointName) {
          throw new Error("no KMS TLS connection was verified on the enclave side");
        }
        if (topology.enclave.crossedTheLink(dataKey)) throw new Error("the data key crossed the proxy socket");
        if (topology.enclave.crossedTheLink(state)) throw new Error("the state plaintext crossed the proxy socket");
        const object = topology.sealedState.s3.store.buckets.get(endpoints.sealedStateBucket)?.get(answer.key);
        if (!object) throw new Error(`no object ${answer.key} in the sealed-state bucket`);
        if (object.data.includes(Buffer.from(state)) || object.data.includes(Buffer.from(dataKey)))
          throw new Error("the stored blob holds plaintext");
        return answer;
      },
    );
    const kmsPeer = topology.enclave.verifiedKmsPeers.at(-1);
    progress.info(
      `KMS connection verified inside the enclave side: ${kmsPeer?.protocol} to ${kmsPeer?.servername}, certificate issued by ${kmsPeer?.issuer} (the measured configuration's only root); the proxy forwarded bytes only`,
    );
    progress.info(`sealed blob ${stored.key} (${stored.bytes} bytes, version ${stored.version}) under ${stored.keyId}`);
    await progress.step("a stale conditional write of the sealed blob fails (VERSION_CONFLICT)", async () => {
      try {
        await topology.enclave.client.blob.put(stored.key, new Uint8Array([1, 2, 3]), null);
      } catch (err) {
        if (isVettidError(err, "VERSION_CONFLICT")) return;
        throw err;
      }
      throw new Error("the stale write was accepted");
    });
    await progress.step("publishing to another vault's subject is a permissions violation", async () => {
      const violation = new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no permissions violation reported")), 5_000);
        (async () => {
          for await (const status of connection.status()) {
            if (status.type === "error" && /Permissions Violation/i.test(String(status.error?.message))) {
              clearTimeout(timer);
              resolve(String(status.error?.message));
              return;
            }
          }
        })().catch(reject);
      });
      connection.publish(vaultRequestSubject("vlt_someone_else", enrollment.deviceId), "probe");
      await violation;
    });
    await progress.step("device refreshes its JWT with a signed request (POST /v1/devices/{id}/credentials)", () =>
      device.refreshCredentials(enrollment.deviceId, keys),
    );
  } finally {
    await nc?.close().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
}
