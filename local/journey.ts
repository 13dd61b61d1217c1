import { createHash, createPublicKey, verify as verifySignature } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { createEdgeClient, type DeviceKeys, generateDeviceKeys } from "../client/device";
import { VaultClient, type VaultMemory } from "../client/vault";
import { sodiumReady } from "../lib/crypto";
import type { EnrollmentResponse } from "../lib/edge";
import { isVettidError } from "../lib/errors";
import { type Transport, unixSocketTransport } from "../lib/frame-link";
import { type Manifest, verifyManifest } from "../lib/manifest";
import { formatCreds } from "../lib/nats-auth";
import { encodePairingCode, identityFingerprint, parsePairingCode } from "../lib/pairing";
import { ProxyClient } from "../lib/proxy-client";
import { vaultRequestSubject } from "../lib/subjects";
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from "./aws/dynamodb";
import type { Progress } from "./launcher/progress";
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

/** The journey's PIN (dev only). */
const JOURNEY_PIN = "482915";

const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString("hex");

/** The reference device client for an enrolled device, over its own NATS connection. */
function vaultClient(
  enrollment: EnrollmentResponse,
  keys: DeviceKeys,
  connection: NatsConnection,
  trust: { trustedRoots: string[]; manifest: Manifest },
  memory: VaultMemory = { stateVersion: 0 },
): VaultClient {
  return new VaultClient({
    vaultId: enrollment.vaultId,
    deviceId: enrollment.deviceId,
    deviceKey: {
      publicKey: Buffer.from(keys.exchange.publicKey, "base64url"),
      privateKey: Buffer.from(keys.exchange.privateKey, "base64url"),
    },
    transport: async (data, timeout) => (await connection.request(enrollment.subjects.request, data, { timeout })).data,
    attestation: trust,
    memory,
    // a device that founded its vault opens its id's commitment in every handshake
    ...(enrollment.vaultSalt
      ? {
          founding: {
            signingKey: Buffer.from(keys.signing.publicKey, "base64url"),
            vaultSalt: Buffer.from(enrollment.vaultSalt, "base64url"),
          },
        }
      : {}),
  });
}

async function expectCode(attempt: Promise<unknown>, ...codes: string[]): Promise<void> {
  try {
    await attempt;
  } catch (err) {
    if (codes.some((code) => isVettidError(err, code as never))) return;
    throw err;
  }
  throw new Error(`expected ${codes.join(" or ")}`);
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
 * A second device of the same person joins the vault (docs/protocol.md §Pairing codes):
 * the first device, unlocked, opens a pairing and asks the edge for a pairing
 * invitation; the code carries both and the identity fingerprint; the second device
 * enrolls with the invitation, checks the vault's identity and proves the secret in its
 * own session; the first approves it (with the PIN) after comparing the SAS; the
 * second then opens a full session, unlocks and reads the item.
 */
async function pairSecondDevice(input: {
  device: ReturnType<typeof createEdgeClient>;
  enrollment: EnrollmentResponse;
  keys: DeviceKeys;
  vault: VaultClient;
  canary: string;
  trust: { trustedRoots: string[]; manifest: Manifest };
}): Promise<{
  deviceId: string;
  sas: string;
  tablet: EnrollmentResponse;
  tabletKeys: DeviceKeys;
  reader: VaultClient;
  connection: NatsConnection;
}> {
  const { device, enrollment, keys, vault } = input;
  const { secret } = await vault.call("device.pair.start", { op: "device.pair.start", pin: JOURNEY_PIN });
  const { identityKey } = await vault.call("identity.key", { op: "identity.key" });
  const invitation = await device.createPairingInvitation(enrollment.deviceId, keys);
  const code = parsePairingCode(
    encodePairingCode({
      invitationCode: invitation.code,
      secret,
      identityFingerprint: identityFingerprint(identityKey),
    }),
  );
  const tabletKeys = generateDeviceKeys();
  const tablet = await device.enrollByPairing(code.invitationCode, tabletKeys, "journey tablet");
  if (tablet.vaultId !== enrollment.vaultId) throw new Error("the pairing invitation enrolled into another vault");
  const connection = await connectDevice(tablet.nats.servers, tablet.nats.jwt, tabletKeys, tablet.subjects.inboxPrefix);
  let kept = false;
  try {
    const joining = vaultClient(tablet, tabletKeys, connection, input.trust);
    const joined = await joining.joinPairing({
      secret: code.secret,
      signingKey: Buffer.from(tabletKeys.signing.publicKey, "base64url"),
      label: "journey tablet",
      identityFingerprint: code.identityFingerprint,
    });
    const { device: approved } = await vault.call("device.approve", {
      op: "device.approve",
      deviceId: tablet.deviceId,
      pin: JOURNEY_PIN,
    });
    if (approved.sas !== joined.sas || approved.fingerprint !== joined.fingerprint) {
      throw new Error("the approving device shows another code or key than the new device");
    }
    const reader = vaultClient(tablet, tabletKeys, connection, input.trust, joining.known);
    await reader.call("vault.unlock", { op: "vault.unlock", pin: JOURNEY_PIN });
    const got = await reader.call("items.get", { op: "items.get", name: "bank" });
    if (Buffer.from(got.item.value).toString() !== input.canary) throw new Error("the new device read another value");
    kept = true;
    return { deviceId: tablet.deviceId, sas: joined.sas, tablet, tabletKeys, reader, connection };
  } finally {
    if (!kept) await connection.close().catch(() => undefined);
  }
}

/** Resolves once `attempt` fails, trying again every 200 ms for up to 10 s. */
async function eventuallyRefused(attempt: () => Promise<unknown>, what: string): Promise<void> {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    try {
      const held = await attempt();
      await (held as { close?: () => Promise<void> } | undefined)?.close?.();
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} was still accepted after 10 s`);
}

/**
 * Recovery into a new vault (docs/protocol.md §Backup and recovery): the first device
 * exports a backup (with the PIN); a new device enrolls, and the enclave opens the
 * backup with the recovery secret shown at init; the first vault's devices see the
 * waiting recovery; after the delay the new vault holds the items, the identity key
 * and the PIN.
 */
async function recoverIntoNewVault(input: {
  operator: ReturnType<typeof createEdgeClient>;
  device: ReturnType<typeof createEdgeClient>;
  vault: VaultClient;
  recoverySecret: Uint8Array;
  identityKey: Uint8Array;
  canary: string;
  trust: { trustedRoots: string[]; manifest: Manifest };
  progress: Progress;
}): Promise<{ vaultId: string; waitedMs: number }> {
  const { vault, progress } = input;
  const { backup, backupId } = await vault.call("backup.export", {
    op: "backup.export",
    pin: JOURNEY_PIN,
    recoverySecret: input.recoverySecret,
  });
  if (Buffer.from(backup).includes(Buffer.from(input.canary))) throw new Error("the backup holds the item in clear");
  progress.info(`backup ${hex(backupId)}: ${backup.length} bytes, sealed under a KMS data key and the recovery key`);
  const invitation = await input.operator.createInvitation({ note: "npm start journey, recovery" });
  const newKeys = generateDeviceKeys();
  const enrolled = await input.device.enroll(invitation.code, newKeys, "journey recovered phone");
  const connection = await connectDevice(
    enrolled.nats.servers,
    enrolled.nats.jwt,
    newKeys,
    enrolled.subjects.inboxPrefix,
  );
  try {
    const restoring = vaultClient(enrolled, newKeys, connection, input.trust);
    const fields = {
      backup,
      recoverySecret: input.recoverySecret,
      signingKey: Buffer.from(newKeys.signing.publicKey, "base64url"),
      vaultSalt: Buffer.from(enrolled.vaultSalt ?? "", "base64url"),
      pin: JOURNEY_PIN,
    };
    const wrong = { ...fields, recoverySecret: new Uint8Array(input.recoverySecret).map((b, i) => (i ? b : b ^ 1)) };
    await expectCode(restoring.call("recovery.start", { op: "recovery.start", ...wrong }), "BACKUP_INVALID");
    const started = await restoring.call("recovery.start", { op: "recovery.start", ...fields });
    const notice = (await vault.call("vault.status", { op: "vault.status" })).recovery;
    if (notice?.targetVaultId !== enrolled.vaultId)
      throw new Error("the first vault's device is not shown the recovery");
    await expectCode(restoring.call("recovery.complete", { op: "recovery.complete", ...fields }), "RECOVERY_PENDING");
    // Every security event of the run so far, in order, the chain verified on the device.
    const kinds = (await vault.readAudit()).entries.map((e) => e.kind).join(", ");
    const expected = [
      "vault.initialized",
      "unlock.attempted",
      "unlock.failed",
      "unlock.attempted",
      "unlock.succeeded",
      ...["unlock.attempted", "unlock.succeeded", "device.added"],
      ...["unlock.attempted", "unlock.succeeded", "device.approved"],
      ...["unlock.attempted", "unlock.succeeded"], // the paired device's own unlock
      ...["unlock.attempted", "unlock.succeeded", "device.revoked"],
      ...["unlock.attempted", "unlock.succeeded", "backup.exported"],
      ...["unlock.attempted", "recovery.started"], // the backup's PIN, checked at recovery.start
    ].join(", ");
    if (kinds !== expected) throw new Error(`the audit log holds ${kinds}, not ${expected}`);
    progress.info(`audit log of the first vault: ${kinds}`);
    const waitedMs = Math.max(0, started.readyAt - Date.now());
    await new Promise((resolve) => setTimeout(resolve, waitedMs + 100));
    const done = await restoring.call("recovery.complete", { op: "recovery.complete", ...fields });
    if (!Buffer.from(done.identityKey).equals(Buffer.from(input.identityKey))) {
      throw new Error("the restored vault has another identity key");
    }
    const got = await restoring.call("items.get", { op: "items.get", name: "bank" });
    if (Buffer.from(got.item.value).toString() !== input.canary)
      throw new Error("the restored vault holds another value");
    const first = (await restoring.readAudit()).entries[0];
    if (first?.kind !== "backup.restored") throw new Error("the restored vault's log does not begin with the restore");
    // The first vault moved: its device (lost, in this story) opens nothing more. Its
    // session is gone (UNAUTHENTICATED) where the runtime that completed the recovery
    // held it; where another runtime owns the first vault, that one finds the vault
    // retired when it reads it again (VAULT_RECOVERED) and ends its sessions, and the
    // device opens a new one. Either way, then VAULT_RECOVERED.
    await expectCode(vault.call("items.get", { op: "items.get", name: "bank" }), "UNAUTHENTICATED", "VAULT_RECOVERED");
    await expectCode(vault.call("items.get", { op: "items.get", name: "bank" }), "VAULT_RECOVERED");
    return { vaultId: enrolled.vaultId, waitedMs };
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/**
 * The device journey: an operator invites, a new device generates its keys and
 * enrolls over REST (the vault id commits to its keys), cannot be followed by a second
 * device on the same code, verifies the served manifest; the proxy refuses an enclave
 * the manifest does not list. The device connects to NATS with its minted JWT, attests
 * the vault runtime and opens a hybrid session, initializes its vault (KMS over TLS
 * verified inside the enclave side), stores, reads and lists items, has a challenge
 * signed and verifies it, locks, gets a wrong PIN counted, unlocks; a second device
 * joins the vault by pairing and, approved, reads the item, then is revoked (vault
 * and NATS); a backup is exported and recovered into a new vault; the sealed blob
 * holds no item in clear; a second person's vault is isolated; the device is refused
 * another vault's subject by the server and refreshes its credentials.
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
      const live = topology.hosts.map((h) => h.hostId);
      if (!live.includes(String(vault?.hostId))) {
        throw new Error(
          `vault ${enrollment.vaultId} was assigned to ${String(vault?.hostId)}, not ${live.join(" or ")}`,
        );
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
    const manifest = await progress.step(
      "GET /v1/pcr-manifest serves the signed dev manifest; the device verifies its 2-of-2 signatures with the dev release key set",
      async () => {
        const response = await fetch(`${endpoints.rest}/v1/pcr-manifest`);
        const served = await response.text();
        if (response.status !== 200) throw new Error(`status ${response.status}`);
        if (served.trim() !== topology.attestation.manifestText.trim())
          throw new Error("a different manifest is served");
        // DEV ONLY: the dev releases activate at once (production verifiers require 7 days).
        return verifyManifest(served, { keys: readFileSync(endpoints.manifestKey, "utf8"), activationDelayMs: 0 });
      },
    );
    const devRoot = readFileSync(endpoints.devRoot, "utf8");

    await progress.step("the proxy refuses an enclave whose PCRs are not in the manifest (connection closed)", () =>
      refusedUnlistedEnclave(topology),
    );

    const connection = await progress.step("device connects to NATS with its minted user JWT", () =>
      connectDevice(enrollment.nats.servers, enrollment.nats.jwt, keys, enrollment.subjects.inboxPrefix),
    );
    nc = connection;
    const vault = vaultClient(enrollment, keys, connection, { trustedRoots: [devRoot], manifest });
    const s = await sodiumReady();
    const canary = `canary-${s.to_hex(s.randombytes_buf(8))}`;

    const status = await progress.step(
      "device attests the enclave (fresh nonce, chain to the dev root, PCRs in the signed manifest, handshake keys in user_data) and opens a hybrid X25519 + ML-KEM-768 session",
      () => vault.call("vault.status", { op: "vault.status" }),
    );
    if (status.initialized) throw new Error("a new vault is already initialized");
    progress.info(
      `attested module ${vault.attestation?.moduleId}; PCR0 ${hex(vault.attestation?.pcrs[0]).slice(0, 16)}…`,
    );

    const init = await progress.step(
      "vault.init: the enclave checks the vault id commits to this device's keys, gets a root key from KMS with an attested Recipient, seals both layers",
      () =>
        vault.call("vault.init", {
          op: "vault.init",
          pin: JOURNEY_PIN,
          signingKey: Buffer.from(keys.signing.publicKey, "base64url"),
          vaultSalt: Buffer.from(enrollment.vaultSalt ?? "", "base64url"),
        }),
    );
    progress.info(`identity key ${hex(init.identityKey)}; state version ${init.stateVersion}`);
    const kmsPeer = topology.hosts.flatMap((h) => h.runtime.kmsVerified).at(-1);
    if (kmsPeer?.servername !== topology.kms.endpointName)
      throw new Error("no KMS TLS connection was verified on the enclave side");
    progress.info(
      `KMS connection verified inside the enclave side: ${kmsPeer.protocol} to ${kmsPeer.servername}, certificate issued by ${kmsPeer.issuer} (the measured configuration's only root); the proxy forwarded bytes only`,
    );

    await progress.step("items.put / items.get / items.list, sealed end to end", async () => {
      await vault.call("items.put", { op: "items.put", name: "bank", type: "login", value: Buffer.from(canary) });
      await vault.call("items.put", { op: "items.put", name: "wifi", type: "secret", value: Buffer.from("guest123") });
      const got = await vault.call("items.get", { op: "items.get", name: "bank" });
      if (Buffer.from(got.item.value).toString() !== canary) throw new Error("items.get returned another value");
      const list = await vault.call("items.list", { op: "items.list" });
      if (
        list.items
          .map((i) => i.name)
          .sort()
          .join(",") !== "bank,wifi"
      )
        throw new Error("items.list is wrong");
    });

    await progress.step(
      "identity.sign: a challenge signed by the vault's Ed25519 key, verified with node:crypto",
      async () => {
        const challenge = s.randombytes_buf(32);
        const signed = await vault.call("identity.sign", { op: "identity.sign", challenge });
        const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(signed.identityKey)]);
        const key = createPublicKey({ key: spki, format: "der", type: "spki" });
        if (!verifySignature(null, challenge, key, signed.signature)) throw new Error("the signature does not verify");
      },
    );

    await progress.step("vault.lock, then items.get is refused (VAULT_LOCKED)", async () => {
      await vault.call("vault.lock", { op: "vault.lock" });
      await expectCode(vault.call("items.get", { op: "items.get", name: "bank" }), "VAULT_LOCKED");
    });

    await progress.step(
      "a wrong PIN is refused and counted in the sealed state before the check (PIN_INCORRECT)",
      async () => {
        const before = vault.known.stateVersion;
        await expectCode(vault.call("vault.unlock", { op: "vault.unlock", pin: "000000" }), "PIN_INCORRECT");
        if (vault.known.stateVersion <= before) throw new Error("the failed attempt was not written");
      },
    );

    await progress.step(
      "vault.unlock with the PIN (Argon2id inside the enclave), and the item reads again",
      async () => {
        await vault.call("vault.unlock", { op: "vault.unlock", pin: JOURNEY_PIN });
        const got = await vault.call("items.get", { op: "items.get", name: "bank" });
        if (Buffer.from(got.item.value).toString() !== canary) throw new Error("items.get returned another value");
      },
    );

    const audit = await progress.step(
      "the sealed audit log shows every security event of the run in order, its hash chain verified on the device",
      async () => {
        const log = await vault.readAudit();
        const kinds = log.entries.map((e) => e.kind).join(", ");
        const expected = [
          "vault.initialized",
          "unlock.attempted",
          "unlock.failed",
          "unlock.attempted",
          "unlock.succeeded",
        ].join(", ");
        if (kinds !== expected) throw new Error(`the audit log holds ${kinds}, not ${expected}`);
        return log;
      },
    );
    progress.info(`audit log: ${audit.entries.map((e) => `${e.seq} ${e.kind}`).join(" · ")}`);

    const paired = await progress.step(
      "a second device joins by pairing: one code (edge invitation, enclave secret, identity fingerprint), enrolled by its invitation, the vault's identity checked, the secret proved; both show one SAS; approved with the PIN, it unlocks and reads the item",
      () => pairSecondDevice({ device, enrollment, keys, vault, canary, trust: { trustedRoots: [devRoot], manifest } }),
    );
    progress.info(`device ${paired.deviceId} joined vault ${enrollment.vaultId}; both devices showed ${paired.sas}`);

    const synced = await progress.step(
      "the second device catches up with the first device's changes: each put and delete once, in order, their hash chain continuing from where it stood (events sealed in JetStream by the enclave)",
      async () => {
        await paired.reader.syncChanges();
        const note = (value: string) => ({
          op: "items.put" as const,
          name: "wifi",
          type: "secret" as const,
          value: new TextEncoder().encode(value),
        });
        await vault.call("items.put", note("correct horse"));
        await vault.call("items.put", note("battery staple"));
        await vault.call("items.delete", { op: "items.delete", name: "wifi" });
        const caughtUp = await paired.reader.syncChanges();
        const got = caughtUp.events.map((e) => `${e.seq} ${e.kind} ${e.name}`);
        const first = caughtUp.events[0]?.seq ?? 0;
        const expected = [`${first} item.put wifi`, `${first + 1} item.put wifi`, `${first + 2} item.deleted wifi`];
        if (got.join(", ") !== expected.join(", ")) throw new Error(`the second device got ${got.join(", ")}`);
        return caughtUp;
      },
    );
    progress.info(`changes: ${synced.events.map((e) => `${e.seq} ${e.kind} ${e.name}`).join(" · ")}`);

    await progress.step(
      "the first device revokes the second with the PIN: removed from the sealed state; the edge, shown the vault's signed statement, revokes its NATS access; the vault and NATS then refuse it",
      async () => {
        try {
          await device.registerVaultIdentity(enrollment.deviceId, keys, init.identityKey);
          const revoked = await vault.call("device.revoke", {
            op: "device.revoke",
            deviceId: paired.deviceId,
            pin: JOURNEY_PIN,
          });
          await expectCode(paired.reader.call("items.list", { op: "items.list" }), "UNAUTHENTICATED");
          await device.revokeDevice(paired.deviceId, enrollment.deviceId, keys, revoked);
          await expectCode(device.refreshCredentials(paired.deviceId, paired.tabletKeys), "DEVICE_REVOKED");
          await eventuallyRefused(
            () =>
              connectDevice(
                paired.tablet.nats.servers,
                paired.tablet.nats.jwt,
                paired.tabletKeys,
                paired.tablet.subjects.inboxPrefix,
              ),
            "the revoked device's NATS connection",
          );
        } finally {
          await paired.connection.close().catch(() => undefined);
        }
      },
    );

    const recovered = await progress.step(
      "export, then recovery into a new vault: the enclave opens the backup only with the recovery secret; the first vault's device sees the waiting recovery; after the delay the new vault holds the items, identity key and PIN, and the first vault opens nothing more",
      () =>
        recoverIntoNewVault({
          operator,
          device,
          vault,
          recoverySecret: init.recoverySecret,
          identityKey: init.identityKey,
          canary,
          trust: { trustedRoots: [devRoot], manifest },
          progress,
        }),
    );
    progress.info(
      `vault ${enrollment.vaultId} restored into ${recovered.vaultId} after a delay of ${Math.round(recovered.waitedMs / 100) / 10} s (24 h outside local and dev)`,
    );

    await progress.step("neither the sealed-state blob nor DynamoDB holds the item in clear", async () => {
      const objects = [...(topology.sealedState.s3.store.buckets.get(endpoints.sealedStateBucket)?.values() ?? [])];
      if (objects.length === 0) throw new Error("no sealed state was written");
      for (const object of objects) {
        if (Buffer.from(object.data).includes(Buffer.from(canary))) throw new Error("a blob holds the item in clear");
      }
      const dynamodb = new DynamoDBClient({
        endpoint: endpoints.dynamodb,
        region: LOCAL_AWS_REGION,
        credentials: LOCAL_AWS_CREDENTIALS,
      });
      try {
        const items = await dynamodb.send(new ScanCommand({ TableName: topology.edge.tableName }));
        if ((items.Items ?? []).length === 0) throw new Error("the edge's table is empty");
        if (JSON.stringify(items.Items).includes(canary)) throw new Error("DynamoDB holds the item in clear");
      } finally {
        dynamodb.destroy();
      }
    });

    await progress.step(
      "a second person's vault is isolated: their device is refused on the first vault's subject",
      async () => {
        const second = await operator.createInvitation({ note: "npm start journey, second person" });
        const otherKeys = generateDeviceKeys();
        const other = await device.enroll(second.code, otherKeys, "second person");
        if (other.vaultId === enrollment.vaultId) throw new Error("the second person got the same vault");
        const otherConnection = await connectDevice(
          other.nats.servers,
          other.nats.jwt,
          otherKeys,
          other.subjects.inboxPrefix,
        );
        try {
          const otherVault = vaultClient(other, otherKeys, otherConnection, { trustedRoots: [devRoot], manifest });
          await otherVault.call("vault.init", {
            op: "vault.init",
            pin: "731904",
            signingKey: Buffer.from(otherKeys.signing.publicKey, "base64url"),
            vaultSalt: Buffer.from(other.vaultSalt ?? "", "base64url"),
          });
          await expectCode(otherVault.call("items.get", { op: "items.get", name: "bank" }), "NOT_FOUND");
          // The second device aims at the first vault's subject: NATS refuses it (its JWT
          // names only its own vault), so it never even learns whether that vault exists.
          const probe = await otherConnection
            .request(vaultRequestSubject(enrollment.vaultId, other.deviceId), new Uint8Array([1]), { timeout: 2_000 })
            .then(
              () => "answered",
              (err: Error) => err.name,
            );
          if (probe === "answered") throw new Error("the second device reached the first vault");
        } finally {
          await otherConnection.close().catch(() => undefined);
        }
      },
    );
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
