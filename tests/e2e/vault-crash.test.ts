/**
 * Crash tests over the whole local topology (DESIGN.md §3.9): the vault runtime
 * process is SIGKILLed in the middle of writes; after a restart every write the
 * device saw acknowledged is there, and nothing half-written is visible.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { createEdgeClient, type DeviceKeys, generateDeviceKeys } from "../../client/device";
import { VaultClient } from "../../client/vault";
import { sodiumReady } from "../../lib/crypto";
import type { EnrollmentResponse } from "../../lib/edge";
import { verifyManifest } from "../../lib/manifest";
import { formatCreds } from "../../lib/nats-auth";
import { createProgress } from "../../local/launcher/progress";
import { type LocalRuntime, startLocalRuntime } from "../../local/launcher/runtime";
import { startTopology, type Topology } from "../../local/launcher/topology";

const PIN = "482915";

describe("vault runtime crashes (local topology, runtime SIGKILLed during writes)", () => {
  const stateDir = mkdtempSync(join(tmpdir(), "vt-crash-"));
  let topology: Topology;
  let restarted: LocalRuntime | undefined;
  const connections: NatsConnection[] = [];

  async function enroll(): Promise<{ enrollment: EnrollmentResponse; keys: DeviceKeys }> {
    const operator = createEdgeClient({ baseUrl: topology.endpoints.rest, adminToken: topology.endpoints.adminToken });
    const invitation = await operator.createInvitation({ note: "crash test" });
    const keys = generateDeviceKeys();
    const enrollment = await createEdgeClient({ baseUrl: topology.endpoints.rest }).enroll(invitation.code, keys);
    return { enrollment, keys };
  }

  async function vaultOf(enrollment: EnrollmentResponse, keys: DeviceKeys, stateVersion = 0): Promise<VaultClient> {
    const nc = await connect({
      servers: enrollment.nats.servers,
      authenticator: credsAuthenticator(new TextEncoder().encode(formatCreds(enrollment.nats.jwt, keys.nats.seed))),
      inboxPrefix: enrollment.subjects.inboxPrefix,
    });
    connections.push(nc);
    const manifest = await verifyManifest(topology.attestation.manifestText, {
      keys: topology.attestation.releaseKeys.set,
      activationDelayMs: 0,
    });
    return new VaultClient({
      vaultId: enrollment.vaultId,
      deviceId: enrollment.deviceId,
      deviceKey: {
        publicKey: Buffer.from(keys.exchange.publicKey, "base64url"),
        privateKey: Buffer.from(keys.exchange.privateKey, "base64url"),
      },
      transport: async (data, timeout) => (await nc.request(enrollment.subjects.request, data, { timeout })).data,
      attestation: { trustedRoots: [topology.attestation.ca.rootCertificatePem], manifest },
      memory: { stateVersion },
      timeoutMs: 5_000,
    });
  }

  /** A new device's vault, initialized with {@link PIN}; its session unlocked. */
  async function founded() {
    const { enrollment, keys } = await enroll();
    const vault = await vaultOf(enrollment, keys);
    await vault.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: Buffer.from(keys.signing.publicKey, "base64url"),
      vaultSalt: Buffer.from(enrollment.vaultSalt ?? "", "base64url"),
    });
    return { enrollment, keys, vault };
  }

  beforeAll(async () => {
    await sodiumReady();
    topology = await startTopology(
      stateDir,
      createProgress(() => undefined),
    );
  });
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
    await restarted?.stop();
    await topology?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("keeps every acknowledged write and shows no partial state after a SIGKILL during writes", async () => {
    // Prepare: an initialized vault, and a device writing items one after another.
    const { enrollment, keys, vault } = await founded();
    const acknowledged = new Map<string, string>();
    let inFlight: { name: string; value: string } | undefined;
    let writerDone = false;
    const writer = (async () => {
      for (let i = 0; i < 10_000; i++) {
        const name = `item-${i % 7}`;
        const value = `value-${i}`;
        inFlight = { name, value };
        try {
          await vault.call("items.put", { op: "items.put", name, type: "secret", value: Buffer.from(value) });
          acknowledged.set(name, value);
        } catch {
          return; // the runtime is gone: this write was never acknowledged
        }
      }
    })().finally(() => {
      writerDone = true;
    });

    // Act: kill the runtime while the writer runs, then start it again.
    while (acknowledged.size < 7 && !writerDone) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 150));
    process.kill(topology.runtime.pid as number, "SIGKILL");
    await writer;
    restarted = await startLocalRuntime({
      dir: stateDir,
      socket: topology.proxy.socket,
      measuredConfigFile: topology.endpoints.enclaveConfig,
      devCaDir: join(stateDir, "attestation"),
    });
    const after = await vaultOf(enrollment, keys, vault.known.stateVersion);
    await after.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const items = new Map<string, string>();
    for (const { name } of (await after.call("items.list", { op: "items.list" })).items) {
      const { item } = await after.call("items.get", { op: "items.get", name });
      items.set(name, Buffer.from(item.value).toString());
    }

    // Assess: every acknowledged value is there; the one write in flight at the kill
    // either landed whole or not at all.
    expect(acknowledged.size).toBe(7);
    for (const [name, value] of acknowledged) {
      const stored = items.get(name);
      if (inFlight && name === inFlight.name && stored === inFlight.value) continue;
      expect({ name, stored }).toEqual({ name, stored: value });
    }
    expect([...items.keys()].sort()).toEqual([...acknowledged.keys()].sort());
  });

  it("keeps every acknowledged write and the wrong-PIN count when the in-enclave supervisor restarts a worker killed during writes", async () => {
    // Prepare: a vault with a wrong PIN counted, and a device writing items one after another.
    const { enrollment, keys, vault } = await founded();
    await expect(vault.call("vault.unlock", { op: "vault.unlock", pin: "000000" })).rejects.toMatchObject({
      code: "PIN_INCORRECT",
    });
    await vault.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const runtime = restarted ?? topology.runtime;
    const worker = runtime.workerPid as number;
    const acknowledged = new Map<string, string>();
    let inFlight: { name: string; value: string } | undefined;
    const writer = (async () => {
      for (let i = 0; i < 10_000; i++) {
        const name = `w-${i % 5}`;
        const value = `value-${i}`;
        inFlight = { name, value };
        try {
          await vault.call("items.put", { op: "items.put", name, type: "secret", value: Buffer.from(value) });
          acknowledged.set(name, value);
        } catch {
          return; // the worker is gone: this write was never acknowledged
        }
      }
    })();

    // Act: kill the worker while the writer runs; the supervisor starts another.
    while (acknowledged.size < 5) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 150));
    process.kill(worker, "SIGKILL");
    await writer;
    const deadline = Date.now() + 30_000;
    while ((runtime.workerPid === worker || runtime.workerPid === undefined) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = await vaultOf(enrollment, keys, vault.known.stateVersion);
    let unlocked = false;
    while (!unlocked && Date.now() < deadline) {
      try {
        await after.call("vault.unlock", { op: "vault.unlock", pin: PIN });
        unlocked = true;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const items = new Map<string, string>();
    for (const { name } of (await after.call("items.list", { op: "items.list" })).items) {
      const { item } = await after.call("items.get", { op: "items.get", name });
      items.set(name, Buffer.from(item.value).toString());
    }
    const failures = (await after.readAudit()).entries
      .filter((e) => e.kind === "unlock.failed")
      .map((e) => e.detail.failures);

    // Assess: a new worker serves; every acknowledged value is there, the one in flight
    // landed whole or not at all; the wrong PIN counted before the kill is still counted.
    expect(runtime.workerPid).not.toBe(worker);
    expect(unlocked).toBe(true);
    expect(acknowledged.size).toBe(5);
    for (const [name, value] of acknowledged) {
      const stored = items.get(name);
      if (inFlight && name === inFlight.name && stored === inFlight.value) continue;
      expect({ name, stored }).toEqual({ name, stored: value });
    }
    expect(failures).toEqual([1]);
  });
});
