/**
 * Failover over the whole local topology with two vault hosts (`--runtimes 2`): two
 * runtime processes behind two proxy processes, one nats-server, the S3 and KMS
 * stand-ins. The vault leases (decision 0071) decide which runtime answers. The owner
 * runtime's worker is paused (SIGSTOP): the other takes the vault over once the lease lapses, with every
 * acknowledged write, and the old owner, resumed (SIGCONT), finds its lease gone and
 * answers nothing more; then the new owner is killed (SIGKILL) and the first serves the
 * vault again within 10 s.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { VaultClient } from "../../client/vault";
import { sodiumReady } from "../../lib/crypto";
import { type DevDevice, devLeaseOwner, enrollDevDevice } from "../../local/dev-device";
import { createProgress } from "../../local/launcher/progress";
import { startTopology, type Topology } from "../../local/launcher/topology";

const PIN = "482915";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("failover between two vault hosts (local topology, --runtimes 2)", () => {
  const stateDir = mkdtempSync(join(tmpdir(), "vt-failover-"));
  let topology: Topology;
  const devices: DevDevice[] = [];
  const stopped: number[] = [];

  beforeAll(async () => {
    await sodiumReady();
    topology = await startTopology(
      stateDir,
      createProgress(() => undefined),
      { runtimes: 2 },
    );
  }, 180_000);
  afterAll(async () => {
    for (const pid of stopped) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // already gone
      }
    }
    await Promise.all(devices.map((d) => d.close()));
    await topology?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  /** Gets `name` until a runtime answers it (a new session and unlock where the owner changed); resolves with the ms it took. */
  async function servedAgain(vault: VaultClient, name: string, deadlineMs: number): Promise<number> {
    const started = Date.now();
    for (;;) {
      try {
        await vault.call("vault.unlock", { op: "vault.unlock", pin: PIN });
        await vault.call("items.get", { op: "items.get", name });
        return Date.now() - started;
      } catch (err) {
        if (Date.now() - started > deadlineMs) throw err;
        await sleep(100);
      }
    }
  }

  it("takes a paused owner's vault over with every acknowledged write, keeps the resumed owner out, and serves again within 10 s of a kill", async () => {
    // Prepare: a device with an initialized vault and acknowledged writes.
    const device = await enrollDevDevice(topology, { timeoutMs: 1_000 });
    devices.push(device);
    const { vault, enrollment } = device;
    await device.init(PIN);
    const acknowledged = new Map<string, string>();
    const put = async (name: string, value: string) => {
      await vault.call("items.put", { op: "items.put", name, type: "secret", value: Buffer.from(value) });
      acknowledged.set(name, value);
    };
    for (let i = 0; i < 5; i += 1) await put(`before-${i}`, `v${i}`);
    const ownerId = await devLeaseOwner(topology, enrollment.vaultId);
    const first = topology.hosts.find((h) => h.runtime.runtimeId === ownerId);
    const second = topology.hosts.find((h) => h !== first);
    expect(first).toBeDefined();
    // the runtime process is its in-enclave supervisor: pausing the worker pauses the enclave's work
    const firstPid = first?.runtime.workerPid as number;

    // Act 1: pause the owner; the other serves once the lease lapses.
    process.kill(firstPid, "SIGSTOP");
    stopped.push(firstPid);
    const takeover = await servedAgain(vault, "before-4", 15_000);
    await put("during-pause", "p");
    process.kill(firstPid, "SIGCONT");
    // the resumed owner renews within 1.5 s, finds the lease taken, and stops serving the vault
    await sleep(3_000);
    await put("after-resume", "r");
    const ownerAfterResume = await devLeaseOwner(topology, enrollment.vaultId);
    const firstProxyLog = readFileSync(first?.proxy.log as string, "utf8");

    // Act 2: kill the new owner's runtime (supervisor and, with it, its worker: the enclave
    // dies); the first runtime serves the vault again.
    process.kill(second?.runtime.pid as number, "SIGKILL");
    const failover = await servedAgain(vault, "after-resume", 15_000);
    const items = new Map<string, string>();
    for (const { name } of (await vault.call("items.list", { op: "items.list" })).items) {
      const { item } = await vault.call("items.get", { op: "items.get", name });
      items.set(name, Buffer.from(item.value).toString());
    }

    // Assess
    expect(ownerAfterResume).toBe(second?.runtime.runtimeId);
    expect(firstProxyLog).toContain("vault lease lost");
    expect(takeover).toBeLessThan(10_000);
    expect(failover).toBeLessThan(10_000);
    expect(await devLeaseOwner(topology, enrollment.vaultId)).toBe(first?.runtime.runtimeId);
    expect(items).toEqual(acknowledged);
  }, 120_000);
});
